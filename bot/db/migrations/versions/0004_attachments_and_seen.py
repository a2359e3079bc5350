"""Photos shoppers send in the chat; how far the assigned agent has seen a ticket's conversation.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attachments_client_key", "attachments", ["client_key"], unique=False)
    op.create_index("ix_attachments_conversation_id", "attachments", ["conversation_id"], unique=False)
    op.create_index("ix_attachments_created_at", "attachments", ["created_at"], unique=False)

    # Nullable: nothing has been seen on the tickets opened before this revision.
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("seen_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("seen_until")
    op.drop_table("attachments")
