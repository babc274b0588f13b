"""api token expiry: every personal token gets an expires_at (existing ones: a year from creation, at least 90 days from the upgrade)

Revision ID: 0006_api_token_expiry
Revises: 0005_form_submissions
Create Date: 2026-11-26 03:30:00.000000

"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


revision = "0006_api_token_expiry"
down_revision = "0005_form_submissions"
branch_labels = None
depends_on = None

#: Tokens made before expiry existed keep working for a year from their creation,
#: the longest lifetime a new token can be given; never less than the default lifetime
#: from the upgrade, so no script stops on the day of the deploy without warning.
BACKFILL = timedelta(days=365)
GRACE = timedelta(days=90)


def upgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    token = sa.table(
        "api_token",
        sa.column("id", sa.Integer()),
        sa.column("created_dt", sa.DateTime()),
        sa.column("expires_at", sa.DateTime()),
    )
    conn = op.get_bind()
    # Computed in Python (naive UTC, as stored) so one text serves SQLite and PostgreSQL.
    rows = conn.execute(sa.select(token.c.id, token.c.created_dt)).all()
    floor = datetime.now(UTC).replace(tzinfo=None) + GRACE
    for row_id, created in rows:
        expires = max(created + BACKFILL, floor)
        conn.execute(token.update().where(token.c.id == row_id).values(expires_at=expires))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
