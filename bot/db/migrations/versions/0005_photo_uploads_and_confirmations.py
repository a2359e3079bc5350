"""Every photo upload counted from before its body is read; the offline form's confirmation mails.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_photo_uploads_client_key", "photo_uploads", ["client_key"], unique=False)
    op.create_index("ix_photo_uploads_conversation_id", "photo_uploads", ["conversation_id"], unique=False)
    op.create_index("ix_photo_uploads_created_at", "photo_uploads", ["created_at"], unique=False)
    op.create_table(
        "offline_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", name="uq_offline_confirmation_ticket"),
    )
    op.create_index("ix_offline_confirmations_recipient_key", "offline_confirmations", ["recipient_key"],
                    unique=False)
    op.create_index("ix_offline_confirmations_sent_at", "offline_confirmations", ["sent_at"], unique=False)


def downgrade() -> None:
    op.drop_table("offline_confirmations")
    op.drop_table("photo_uploads")
