"""form submissions: used form keys, so a double click or a resubmitted form records once

Revision ID: 0005_form_submissions
Revises: 0004_reminders_outbox
Create Date: 2026-11-25 21:18:19.074127

"""
from alembic import op
import sqlalchemy as sa


revision = "0005_form_submissions"
down_revision = "0004_reminders_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("form_key", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("created_dt", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_form_submission_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_submission")),
        sa.UniqueConstraint("user_id", "form_key", name="uq_form_submission_key"),
    )


def downgrade():
    op.drop_table("form_submission")
