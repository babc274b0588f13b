"""account security: optional TOTP second factor, kinds of login attempt

Revision ID: 0002_account_security
Revises: 0001
Create Date: 2026-11-25 20:27:25.484467

"""
from alembic import op
import sqlalchemy as sa


revision = "0002_account_security"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="password", nullable=False)
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_column("kind")
