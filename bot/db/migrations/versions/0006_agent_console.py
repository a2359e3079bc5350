"""The agent console: ticket columns for views, SLA and CSAT; ticket history, SLA breaches, alerts,
follow-ups, canned replies and mails to shoppers; agents' availability.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TICKET_COLUMNS = (
    sa.Column("last_shopper_at", sa.DateTime(), nullable=True),
    sa.Column("last_agent_at", sa.DateTime(), nullable=True),
    sa.Column("first_reply_at", sa.DateTime(), nullable=True),
    sa.Column("preview", sa.String(length=300), nullable=True),
    sa.Column("customer_email", sa.String(length=254), nullable=True),
    sa.Column("verified_order", sa.String(length=16), nullable=True),
    sa.Column("sla_clock", sa.String(length=20), nullable=True),
    sa.Column("sla_due_at", sa.DateTime(), nullable=True),
    sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("resolution_tag", sa.String(length=20), nullable=True),
    sa.Column("csat_score", sa.Integer(), nullable=True),
    sa.Column("csat_comment", sa.Text(), nullable=True),
    sa.Column("csat_at", sa.DateTime(), nullable=True),
    sa.Column("csat_skipped", sa.Boolean(), nullable=False, server_default=sa.false()),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("availability", sa.String(length=10), nullable=False, server_default="away"))
        batch.add_column(sa.Column("last_assigned_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        for column in TICKET_COLUMNS:
            batch.add_column(column.copy())
        batch.create_index("ix_tickets_customer_email", ["customer_email"], unique=False)
        batch.create_index("ix_tickets_sla_due_at", ["sla_due_at"], unique=False)
        batch.create_index("ix_tickets_resolution_tag", ["resolution_tag"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"], unique=False)
    op.create_index("ix_ticket_events_kind", "ticket_events", ["kind"], unique=False)
    op.create_index("ix_ticket_events_at", "ticket_events", ["at"], unique=False)

    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("breached_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "clock", name="uq_sla_breach_ticket_clock"),
    )
    op.create_index("ix_sla_breaches_ticket_id", "sla_breaches", ["ticket_id"], unique=False)
    op.create_index("ix_sla_breaches_breached_at", "sla_breaches", ["breached_at"], unique=False)

    op.create_table(
        "desk_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_alerts_ticket_id", "desk_alerts", ["ticket_id"], unique=False)
    op.create_index("ix_desk_alerts_created_at", "desk_alerts", ["created_at"], unique=False)

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("assigned_agent_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_agent_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", name="uq_follow_up_ticket"),
    )
    op.create_index("ix_follow_ups_due_at", "follow_ups", ["due_at"], unique=False)
    op.create_index("ix_follow_ups_assigned_agent_id", "follow_ups", ["assigned_agent_id"], unique=False)

    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcode", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortcode"),
    )

    op.create_table(
        "shopper_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shopper_mails_ticket_id", "shopper_mails", ["ticket_id"], unique=False)
    op.create_index("ix_shopper_mails_conversation_id", "shopper_mails", ["conversation_id"], unique=False)
    op.create_index("ix_shopper_mails_recipient_key", "shopper_mails", ["recipient_key"], unique=False)
    op.create_index("ix_shopper_mails_sent_at", "shopper_mails", ["sent_at"], unique=False)


def downgrade() -> None:
    for name in ("shopper_mails", "canned_replies", "follow_ups", "desk_alerts", "sla_breaches", "ticket_events"):
        op.drop_table(name)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_resolution_tag")
        batch.drop_index("ix_tickets_sla_due_at")
        batch.drop_index("ix_tickets_customer_email")
        for column in reversed(TICKET_COLUMNS):
            batch.drop_column(column.name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_assigned_at")
        batch.drop_column("availability")
