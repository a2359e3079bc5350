"""Desk login attempts, order verification throttles, the client each ticket came from.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_address", "login_attempts", ["address"], unique=False)
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"], unique=False)
    op.create_index("ix_login_attempts_email", "login_attempts", ["email"], unique=False)

    op.create_table(
        "verification_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("locks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key", name="uq_verification_throttle_scope_key"),
    )

    # Nullable: tickets opened before this revision have no client to count against.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_tickets_client_key", ["client_key"], unique=False)


def downgrade() -> None:
    # On SQLite dropping a column rebuilds the table (batch mode); the notes that refer to it stay.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_client_key")
        batch.drop_column("client_key")
    op.drop_table("verification_throttles")
    op.drop_table("login_attempts")
