"""The database: orders and their shipments, desk users and tickets, the trainers' inbox and labels."""
import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.sql.expression import false as sa_false

Base = declarative_base()


class OrderStatus(str, enum.Enum):
    placed = "placed"
    processing = "processing"
    shipped = "shipped"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    delivered = "delivered"
    delayed = "delayed"
    cancelled = "cancelled"
    returned = "returned"
    refunded = "refunded"


# States in which the order has not left the warehouse and can still be cancelled.
CANCELLABLE = (OrderStatus.placed, OrderStatus.processing)


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True, index=True)
    name = Column(String(120), nullable=False)
    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    number = Column(String(16), nullable=False, unique=True, index=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(Enum(OrderStatus, name="order_status", native_enum=False, length=20), nullable=False)
    placed_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    shipping_name = Column(String(120), nullable=False)
    shipping_city = Column(String(80), nullable=False)
    shipping_postcode = Column(String(16), nullable=False)
    shipping_country = Column(String(2), nullable=False)
    shipping_method = Column(String(20), nullable=False)
    payment_method = Column(String(20), nullable=False)
    total_cents = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False, default="USD")

    customer = relationship("Customer", back_populates="orders")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.id",
                         cascade="all, delete-orphan")
    shipments = relationship("Shipment", back_populates="order", order_by="Shipment.id",
                             cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    sku = Column(String(20), nullable=False)
    name = Column(String(120), nullable=False)
    size = Column(String(16), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_cents = Column(Integer, nullable=False)

    order = relationship("Order", back_populates="lines")


class Shipment(Base):
    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    carrier = Column(String(40), nullable=False)
    tracking_number = Column(String(40), nullable=False, index=True)
    shipped_at = Column(DateTime, nullable=False)
    estimated_delivery = Column(Date, nullable=False)
    delivered_at = Column(DateTime, nullable=True)

    order = relationship("Order", back_populates="shipments")
    events = relationship("TrackingEvent", back_populates="shipment", order_by="TrackingEvent.occurred_at",
                          cascade="all, delete-orphan")


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, index=True)
    occurred_at = Column(DateTime, nullable=False)
    location = Column(String(80), nullable=False)
    description = Column(Text, nullable=False)

    shipment = relationship("Shipment", back_populates="events")



class Role(str, enum.Enum):
    agent = "agent"
    trainer = "trainer"
    supervisor = "supervisor"
    admin = "admin"


class User(Base):
    """People who log into the desk. Passwords are stored as scrypt hashes (bot/desk/passwords.py)."""

    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True, index=True)
    name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(Enum(Role, name="user_role", native_enum=False, length=16), nullable=False)
    active = Column(Integer, nullable=False, default=1)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    # Agents set themselves "available" or "away"; automatic assignment only gives work to available ones.
    availability = Column(String(10), nullable=False, default="away", server_default="away")
    # When automatic assignment last gave this agent a ticket: the round robin takes the longest idle first.
    last_assigned_at = Column(DateTime, nullable=True)


class LoginAttempt(Base):
    """One desk login attempt, kept for a day: the throttle counts recent failures per email and per
    client address here, so that it holds across desk processes and restarts."""

    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, index=True)  # as typed, normalised; known or not
    address = Column(String(64), nullable=False, index=True)
    outcome = Column(String(8), nullable=False)  # "failed", "refused" (throttled) or "ok"
    at = Column(DateTime, nullable=False, index=True)


class TicketStatus(str, enum.Enum):
    waiting = "waiting"
    assigned = "assigned"
    resolved = "resolved"
    abandoned = "abandoned"


OPEN_TICKET_STATUSES = (TicketStatus.waiting, TicketStatus.assigned)


class Ticket(Base):
    """A conversation handed to a person."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    reason = Column(String(20), nullable=False)
    peak_anger = Column(Integer, nullable=False, default=0)  # 0-100
    priority = Column(Integer, nullable=False, default=0, index=True)  # higher first
    summary = Column(Text, nullable=False, default="{}")  # JSON: what was asked, slots, last messages
    status = Column(Enum(TicketStatus, name="ticket_status", native_enum=False, length=16), nullable=False,
                    index=True)
    contact_email = Column(String(254), nullable=True)
    created_at = Column(DateTime, nullable=False, index=True)
    assigned_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    assigned_agent_id = Column(Integer, ForeignKey("users.id"), nullable=True, index=True)
    # sha256 of the shopper's network address, for the limit on tickets per client (never shown).
    client_key = Column(String(64), nullable=True, index=True)
    # The "at" (Rasa's clock, epoch seconds) of the newest shopper message the assigned agent has had on
    # screen; the widget marks the shopper's messages up to it as seen.
    seen_until = Column(Float, nullable=True)
    # The console's columns (bot/desk/inbox.py): when the shopper last wrote and a person last answered
    # (a shopper is "waiting" while the first is later), the first answer, a preview of the latest line.
    last_shopper_at = Column(DateTime, nullable=True)
    last_agent_at = Column(DateTime, nullable=True)
    first_reply_at = Column(DateTime, nullable=True)
    preview = Column(String(300), nullable=True)
    # Who the shopper is, when known: the verified order's customer or the shop's signed identity.
    customer_email = Column(String(254), nullable=True, index=True)
    verified_order = Column(String(16), nullable=True)
    # The SLA clock that runs out next (bot/desk/sla.py), kept here so that lists sort and filter by it.
    sla_clock = Column(String(20), nullable=True)
    sla_due_at = Column(DateTime, nullable=True, index=True)
    flagged = Column(Boolean, nullable=False, default=False, server_default=sa_false())  # an SLA breach escalated it
    resolution_tag = Column(String(20), nullable=True, index=True)
    csat_score = Column(Integer, nullable=True)  # 1-5, from the shopper's widget after an agent resolved
    csat_comment = Column(Text, nullable=True)
    csat_at = Column(DateTime, nullable=True)
    csat_skipped = Column(Boolean, nullable=False, default=False, server_default=sa_false())

    assigned_agent = relationship("User")
    notes = relationship("TicketNote", back_populates="ticket", order_by="TicketNote.id",
                         cascade="all, delete-orphan")

    @property
    def handle_seconds(self):
        if self.assigned_at and self.resolved_at:
            return int((self.resolved_at - self.assigned_at).total_seconds())
        return None


class TicketNote(Base):
    """An agent's internal note on a ticket; never shown to the shopper."""

    __tablename__ = "ticket_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    ticket = relationship("Ticket", back_populates="notes")
    author = relationship("User")


class DeskSession(Base):
    """A logged-in desk user; the cookie holds a random token, the table only its hash."""

    __tablename__ = "desk_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True, index=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)

    user = relationship("User")


class InboxMessage(Base):
    """A real shopper message for trainers to label: from the tracker store or an imported chat log."""

    __tablename__ = "inbox_messages"

    id = Column(Integer, primary_key=True)
    # Where it came from, unique so that syncing and re-importing never add a message twice:
    # "event:<tracker event id>" or "import:<sha1 of the row>".
    origin = Column(String(80), nullable=False, unique=True)
    text = Column(Text, nullable=False)
    # Lowercased, whitespace collapsed: messages with the same key are one row in the inbox and share labels.
    text_key = Column(String(500), nullable=False, index=True)
    source = Column(String(200), nullable=False)  # "chat" or the imported file's name
    conversation_id = Column(String(255), nullable=True, index=True)
    sent_at = Column(DateTime, nullable=False, index=True)
    predicted_intent = Column(String(64), nullable=True, index=True)
    confidence = Column(Float, nullable=True, index=True)
    entities = Column(Text, nullable=False, default="[]")  # JSON
    anger_score = Column(Float, nullable=False, default=0.0)
    anger_level = Column(String(10), nullable=False, default="none")
    anger_cues = Column(Text, nullable=False, default="[]")  # JSON


class Label(Base):
    """One trainer's reading of a message text; a second trainer's label on the same text is a review."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("text_key", "user_id", name="uq_label_text_user"),)

    id = Column(Integer, primary_key=True)
    text_key = Column(String(500), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    intent = Column(String(64), nullable=True)
    entities = Column(Text, nullable=False, default="[]")  # JSON: [{"entity": "product", "value": "alpine parka"}]
    angry = Column(Boolean, nullable=True)
    spam = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    user = relationship("User")


class SyncMark(Base):
    """How far a copy from another table has got, e.g. the last tracker event read into the inbox."""

    __tablename__ = "sync_marks"

    name = Column(String(40), primary_key=True)
    value = Column(Integer, nullable=False, default=0)


class VerificationThrottle(Base):
    """Failed order verifications counted on the server, per order number and per client, so that
    neither a new conversation nor a new channel starts the count again (bot/orders/throttle.py)."""

    __tablename__ = "verification_throttles"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_verification_throttle_scope_key"),)

    id = Column(Integer, primary_key=True)
    scope = Column(String(10), nullable=False)  # "order" or "client"
    key = Column(String(64), nullable=False)  # sha256 of the order number or the client's address
    failures = Column(Integer, nullable=False, default=0)
    window_started_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)
    locks = Column(Integer, nullable=False, default=0)  # each lock lasts twice as long as the one before


class OneTimeCode(Base):
    """A code mailed to an order's email to confirm that the person in the chat can read that mailbox,
    before the order is cancelled (bot/orders/one_time_code.py). Only a hash of the code is kept."""

    __tablename__ = "one_time_codes"

    id = Column(Integer, primary_key=True)
    purpose = Column(String(20), nullable=False)  # "cancel"
    order_number = Column(String(16), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False)
    code_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    confirmed_at = Column(DateTime, nullable=True)
    spent = Column(Boolean, nullable=False, default=False)  # confirmed, replaced, or too many wrong tries


class Attachment(Base):
    """A photo a shopper sent in the chat, re-encoded without metadata (bot/images.py); the file lives
    under the data directory (bot/desk/attachments.py) named by the id, which is random and unguessable."""

    __tablename__ = "attachments"

    id = Column(String(64), primary_key=True)  # secrets.token_urlsafe
    conversation_id = Column(String(255), nullable=False, index=True)
    content_type = Column(String(20), nullable=False)  # image/jpeg or image/png, as stored
    size = Column(Integer, nullable=False)  # bytes, as stored
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
    # sha256 of the sender's network address, for the limit per client (never shown).
    client_key = Column(String(64), nullable=False, index=True)


class PhotoUpload(Base):
    """Every photo upload past the route's first checks, refused ones included: written "pending" before
    the body is read, so that parallel uploads cannot all pass the limits (bot/desk/attachments.py),
    then "stored" with the bytes kept, or "refused" (a refused photo still cost its decoding)."""

    __tablename__ = "photo_uploads"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    client_key = Column(String(64), nullable=False, index=True)  # sha256 of the sender's address
    state = Column(String(10), nullable=False)  # "pending", "stored" or "refused"
    size = Column(Integer, nullable=False, default=0)  # bytes stored; 0 until then
    created_at = Column(DateTime, nullable=False, index=True)


class OfflineConfirmation(Base):
    """A confirmation mail the offline form sent (or tried to): one per ticket, and a few per recipient a
    day, so that the form cannot be used to mail someone over and over (bot/desk/offline_messages.py)."""

    __tablename__ = "offline_confirmations"
    __table_args__ = (UniqueConstraint("ticket_id", name="uq_offline_confirmation_ticket"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    recipient_key = Column(String(64), nullable=False, index=True)  # sha256 of the address mailed
    sent_at = Column(DateTime, nullable=False, index=True)


class TicketEvent(Base):
    """Everything that happened to a ticket, in order: created, claimed, assigned, transferred, unassigned,
    replied, emailed, resolved, abandoned, sla_breach, csat, follow_up. The console's timeline and the
    reports read it, and the desk's live feed (bot/desk/live.py) follows its ids to tell every open
    console what changed, whichever desk process or action server made the change."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False, index=True)
    actor_id = Column(Integer, ForeignKey("users.id"), nullable=True)
    detail = Column(Text, nullable=False, default="{}")  # JSON, e.g. {"to": 3, "note": "..."} for a transfer
    at = Column(DateTime, nullable=False, index=True)

    actor = relationship("User")


class SlaBreach(Base):
    """An SLA clock that ran out on a ticket (bot/desk/sla.py); once per ticket and clock, for reporting."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", name="uq_sla_breach_ticket_clock"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    clock = Column(String(20), nullable=False)
    due_at = Column(DateTime, nullable=False)
    breached_at = Column(DateTime, nullable=False, index=True)


class DeskAlert(Base):
    """Something a supervisor must look at (an SLA breach escalated a ticket); shown in the console until
    acknowledged."""

    __tablename__ = "desk_alerts"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, index=True)
    text = Column(String(500), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)
    acknowledged_at = Column(DateTime, nullable=True)
    acknowledged_by_id = Column(Integer, ForeignKey("users.id"), nullable=True)


class FollowUp(Base):
    """The satisfaction follow-up a resolved ticket is owed (72 business hours by default): a task for an
    agent, or an automatic email where the shopper left an address."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("ticket_id", name="uq_follow_up_ticket"),)

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False)
    due_at = Column(DateTime, nullable=False, index=True)
    state = Column(String(10), nullable=False, default="scheduled")  # scheduled, sending, task, emailed, done
    assigned_agent_id = Column(Integer, ForeignKey("users.id"), nullable=True, index=True)
    done_at = Column(DateTime, nullable=True)
    done_by_id = Column(Integer, ForeignKey("users.id"), nullable=True)


class CannedReply(Base):
    """A reply agents insert by shortcode (/delay); managed by supervisors, seeded from
    support/canned_replies.yml. {first_name}, {order_number}, {carrier}, {eta} and the store's
    compensation amounts are filled from the ticket (bot/desk/canned.py)."""

    __tablename__ = "canned_replies"

    id = Column(Integer, primary_key=True)
    shortcode = Column(String(40), nullable=False, unique=True)
    title = Column(String(120), nullable=False)
    topic = Column(String(40), nullable=False, default="general")
    text = Column(Text, nullable=False)
    position = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    updated_by_id = Column(Integer, ForeignKey("users.id"), nullable=True)


class ShopperMail(Base):
    """A mail the desk sent a shopper (an agent's reply by email, a transcript asked for in the widget,
    a follow-up): counted per recipient and per conversation so that nobody can use the desk to mail
    someone over and over."""

    __tablename__ = "shopper_mails"

    id = Column(Integer, primary_key=True)
    kind = Column(String(12), nullable=False)  # "reply", "transcript", "follow_up"
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    recipient_key = Column(String(64), nullable=False, index=True)  # sha256 of the address mailed
    sent_at = Column(DateTime, nullable=False, index=True)
