"""outbox dismissed: a failed message the administrator has dealt with leaves the alarm

Revision ID: 0007_outbox_dismissed
Revises: 0006_api_token_expiry
Create Date: 2026-11-26 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = "0007_outbox_dismissed"
down_revision = "0006_api_token_expiry"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_dt", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dismissed_dt")
