"""api tokens: personal bearer tokens for /api/v1, stored as SHA-256 hashes

Revision ID: 0003_api_tokens
Revises: 0002_account_security
Create Date: 2026-11-25 20:28:41.870416

"""
from alembic import op
import sqlalchemy as sa


revision = "0003_api_tokens"
down_revision = "0002_account_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.Column("last_used_dt", sa.DateTime(), nullable=True),
        sa.Column("revoked_dt", sa.DateTime(), nullable=True),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_api_token_name")),
        sa.CheckConstraint("length(token_hash) = 64", name=op.f("ck_api_token_token_hash")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
    op.drop_table("api_token")
