"""reminders and email: digests, calendar feeds, the scheduler lease

Outbox rows gathered into a digest get the status "digested" and point at
the digest that carried them; the due index leads with (status, digest) so
the sender skips rows waiting for a digest. A user's calendar-feed nonce
makes the signed feed URL revocable. The scheduler lease keeps one active
scheduler on SQLite (PostgreSQL uses an advisory lock).

Revision ID: 0004_reminders_outbox
Revises: 0003_api_tokens
Create Date: 2026-11-25 20:29:09.900990

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_reminders_outbox"
down_revision = "0003_api_tokens"
branch_labels = None
depends_on = None

OLD_STATUS = "status IN ('pending', 'sending', 'sent', 'failed')"
NEW_STATUS = "status IN ('pending', 'sending', 'sent', 'failed', 'digested')"


def upgrade():
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("acquired_dt", sa.DateTime(), nullable=False),
        sa.Column("expires_dt", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )
    op.create_table(
        "calendar_feed",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_calendar_feed_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_calendar_feed")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_due", ["status", "digest", "next_attempt_dt"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_digest_id_outbox"), "outbox", ["digest_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_outbox_status"), NEW_STATUS)


def downgrade():
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'digested'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_outbox_status"), OLD_STATUS)
        batch_op.drop_constraint(batch_op.f("fk_outbox_digest_id_outbox"), type_="foreignkey")
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_dt"], unique=False)
        batch_op.drop_column("digest_id")

    op.drop_table("calendar_feed")
    op.drop_table("scheduler_lease")
