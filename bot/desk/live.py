"""The live feed of the agent console: GET /api/live, server-sent events.

One watcher task per desk process (started and stopped with the app, never at import) reads the
database every POLL_SECONDS in a thread: new ticket history rows (bot/handoff/history.py: whichever
process or action server made the change), new desk alerts, and new shopper messages in Rasa's tracker
store (its `events` table in the same database). A shopper message on an open ticket also updates the
ticket's last_shopper_at and preview (emails masked). What it finds is encoded once and handed to every
connected console through a bounded queue of its own: a console that falls that far behind is dropped
(its EventSource reconnects and reloads), never the server.

    event: ticket   data: {"id": ticket id, "kind", "at", "actor_id"}
    event: message  data: {"ticket_id", "from": "shopper", "at"}
    event: alert    data: {"id", "kind", "ticket_id", "text"}   (supervisors and admins only)
    : ping          every PING_SECONDS

The events table may not exist yet (Rasa creates it on its first start) and the database may be down:
the watcher logs once, retries with a growing pause, and carries on when it can.

A login holds at most STREAMS_PER_USER streams (a process MAX_STREAMS), and each stream checks every
SESSION_CHECK_SECONDS that its login still holds: a logout, a switched-off account or an expired session
ends it."""
import asyncio
import json
import logging
import time
from contextlib import suppress
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Set, Tuple

from aiohttp import web
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.chat.events import transcript
from bot.db import session_scope
from bot.db.models import OPEN_TICKET_STATUSES, DeskAlert, Ticket, TicketEvent, TicketStatus
from bot.desk import aftercare, inbox_routes, sla
from bot.desk.accounts import desk_user_for_token
from bot.desk.assignment import is_supervisor
from bot.desk.blocking import in_background_thread, in_session
from bot.desk.context import CLOCK, ENGINE, USER, now
from bot.desk.hygiene import error
from bot.desk.routing import COOKIE, STAFF, Routes
from bot.handoff.queue import preview_text
from bot.trainer.tracker_events import EVENTS, has_events_table, read_events

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
PING_SECONDS = 15.0
# Frames a console may fall behind before it is dropped.
CLIENT_BACKLOG = 256
# Rows read from each table per poll; more wait for the next poll.
BATCH = 500
# An id the poll skipped while a lower one was missing (a transaction still open in another process) is
# waited for this long before the cursor moves past it.
GAP_SECONDS = 10.0
RETRY_MAX_SECONDS = 5.0
# Automatic assignment runs after these ticket events, and every AUTO_ASSIGN_SECONDS whatever happened.
AUTO_ASSIGN_KINDS = frozenset({"created", "unassigned", "resolved", "abandoned"})
AUTO_ASSIGN_SECONDS = 5.0
STOP_SECONDS = 5.0
# Streams one login may hold open (a console is one per tab), and all of one desk process: past them a
# script with one cookie cannot tie up the process's sockets and tasks.
STREAMS_PER_USER = 8
MAX_STREAMS = 1000
# How often an open stream checks that its login still holds (logout, a switched-off account, an
# expired session or a changed role end it).
SESSION_CHECK_SECONDS = 15.0
PHOTO_PREVIEW = "Sent a photo"

routes = Routes()
_CLOSE = b""  # the frame that ends a stream
Change = Tuple[str, dict, bool]  # (event name, data, for supervisors only)


def frame(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class Listener:
    """One connected console."""

    def __init__(self, supervisor: bool, user_id: Optional[int] = None, transport=None):
        self.supervisor = supervisor
        self.user_id, self.transport = user_id, transport
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=CLIENT_BACKLOG)
        self.dropped = False

    def gone(self) -> bool:
        """The console's connection is closed (the handler notices at its next write)."""
        return self.transport is not None and self.transport.is_closing()

    def offer(self, data: bytes) -> bool:
        try:
            self.queue.put_nowait(data)
            return True
        except asyncio.QueueFull:
            return False

    def end(self) -> None:
        """Whatever is queued is dropped and the stream closes at once."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_CLOSE)


class Hub:
    """The process's connected consoles; publish() encodes an event once for all of them."""

    def __init__(self):
        self.listeners: Set[Listener] = set()
        # Every stream whose handler still runs (a console dropped from `listeners` for falling behind
        # stays here until its handler ends): what the limits count.
        self.streams: Set[Listener] = set()
        self.closed = False

    def subscribe(self, *, supervisor: bool, user_id: Optional[int] = None, transport=None) -> Listener:
        listener = Listener(supervisor, user_id, transport)
        self.listeners.add(listener)
        self.streams.add(listener)
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        self.streams.discard(listener)

    def refusal(self, user_id: int) -> Optional[Tuple[int, str]]:
        """(status, words) when another stream would pass a limit, else None."""
        open_streams = [listener for listener in self.streams if not listener.gone()]
        if sum(1 for listener in open_streams if listener.user_id == user_id) >= STREAMS_PER_USER:
            return 429, f"this login already has {STREAMS_PER_USER} live streams open; close a console tab"
        if len(open_streams) >= MAX_STREAMS:
            return 503, "the desk has as many live streams as it serves; reload in a moment"
        return None

    def publish(self, event: str, data: dict, *, supervisors_only: bool = False) -> None:
        encoded = frame(event, data)
        for listener in list(self.listeners):
            if supervisors_only and not listener.supervisor:
                continue
            if not listener.offer(encoded):
                logger.warning("a console fell %d events behind the live feed; its stream is closed", CLIENT_BACKLOG)
                listener.dropped = True
                listener.end()
                self.listeners.discard(listener)

    def close(self) -> None:
        self.closed = True
        for listener in list(self.listeners):
            listener.end()
        self.listeners.clear()


HUB = web.AppKey("live_hub", Hub)


class IdCursor:
    """How far a table with growing ids has been read: every id up to `floor`, and `seen` above it. An id
    missing below a seen one may belong to a transaction not yet committed: it is read when it appears,
    or given up GAP_SECONDS later."""

    def __init__(self, floor: int):
        self.floor = floor
        self.seen: Set[int] = set()
        self.gaps: Dict[int, float] = {}

    def fresh(self, ids: Iterable[int], clock: float) -> List[int]:
        new = [i for i in ids if i > self.floor and i not in self.seen]
        self.seen.update(new)
        self._advance(clock)
        return new

    def _advance(self, clock: float) -> None:
        if not self.seen:
            return
        top = max(self.seen)
        if top - self.floor > 10 * BATCH:  # far behind (a burst of rolled-back ids): do not wait for them
            self.floor, self.seen, self.gaps = top, set(), {}
            return
        for missing in range(self.floor + 1, top):
            if missing not in self.seen:
                self.gaps.setdefault(missing, clock)
        while True:
            following = self.floor + 1
            if following in self.seen:
                self.seen.discard(following)
            elif following in self.gaps and clock - self.gaps[following] > GAP_SECONDS:
                pass
            else:
                break
            self.gaps.pop(following, None)
            self.floor = following


def _time(timestamp: Optional[float]) -> Optional[datetime]:
    if not isinstance(timestamp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _preview(event: dict) -> Optional[str]:
    """The shopper's line as the console shows it, on one line, emails masked; None if it has none."""
    try:
        lines = transcript({"events": [event]})
    except (AttributeError, TypeError, ValueError):  # a row of an unexpected shape: no preview from it
        return None
    if not lines:
        return None
    text = preview_text(str(lines[0].get("text") or ""))
    if not text:
        return PHOTO_PREVIEW if lines[0].get("attachments") else None
    return text


def apply_shopper_messages(session: Session, event_ids: List[int], now: datetime) -> List[Tuple[int, datetime]]:
    """Shopper messages (tracker event ids, oldest first) onto their conversations' open tickets: the
    latest one's time and preview. Returns (ticket id, time) for each ticket that got one."""
    latest: Dict[str, Tuple[dict, Optional[datetime]]] = {}
    addresses: Dict[str, str] = {}  # the latest email address each conversation's shopper typed
    for row in read_events(session, event_ids):
        if row.error is not None or row.sender_id is None:
            continue
        try:
            event = json.loads(row.data or "{}")
        except ValueError:
            continue
        if isinstance(event, dict):
            latest[row.sender_id] = (event, _time(row.timestamp if row.timestamp is not None
                                                  else event.get("timestamp")))
            address = aftercare.email_left_in_chat(transcript({"events": [event]}))
            if address:
                addresses[row.sender_id] = address
    if not latest:
        return []
    tickets = session.execute(select(Ticket).where(Ticket.conversation_id.in_(sorted(latest)),
                                                   Ticket.status.in_(OPEN_TICKET_STATUSES))).scalars().all()
    changed = []
    for ticket in tickets:
        event, when = latest[ticket.conversation_id]
        when = when or now
        if ticket.last_shopper_at is None or when > ticket.last_shopper_at:
            ticket.last_shopper_at = when
        preview = _preview(event)
        if preview:
            ticket.preview = preview
        if ticket.status == TicketStatus.waiting and ticket.conversation_id in addresses:
            # Typed while waiting: the acknowledgement told the shopper the team would answer there.
            ticket.contact_email = addresses[ticket.conversation_id]
        sla.refresh_clock(session, ticket, now)
        changed.append((ticket.id, when))
    return changed


def catch_up(session: Session, now: datetime) -> None:
    """When the watcher starts (or the events table appears): each open ticket's latest shopper message,
    which may have come while no desk was running."""
    open_conversations = select(Ticket.conversation_id).where(Ticket.status.in_(OPEN_TICKET_STATUSES))
    ids = session.execute(select(func.max(EVENTS.c.id)).where(
        EVENTS.c.type_name == "user", EVENTS.c.sender_id.in_(open_conversations))
        .group_by(EVENTS.c.sender_id)).scalars().all()
    if ids:
        apply_shopper_messages(session, sorted(ids), now)


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() + "Z" if moment is not None else None


class Watcher:
    """Reads what changed since the last poll; used from one thread at a time (the poll's)."""

    def __init__(self, engine, clock):
        self.engine, self.clock = engine, clock
        self.tickets: Optional[IdCursor] = None  # None until the first poll that reached the database
        self.alerts: Optional[IdCursor] = None
        self.events: Optional[IdCursor] = None  # None while the tracker's table is not (or no longer) read
        self.events_lost_at: Optional[int] = None  # where reading the table last failed

    def poll(self) -> List[Change]:
        """What changed since the last poll; the first poll only notes where each table ends."""
        first = self.tickets is None
        with session_scope(self.engine) as session:  # one connection a poll
            changes = self._desk_changes(session)
            try:
                changes.extend(self._shopper_messages(session, first))
            except SQLAlchemyError:
                # The desk's own changes still go out; the tracker's table is looked for again next time.
                session.rollback()
                if self.events is not None:
                    self.events_lost_at, self.events = self.events.floor, None
                    logger.warning("the live feed cannot read the tracker store's events; retrying", exc_info=True)
        return [] if first else changes

    def _desk_changes(self, session: Session) -> List[Change]:
        clock = time.monotonic()
        if self.tickets is None:
            self.tickets = IdCursor(session.execute(select(func.max(TicketEvent.id))).scalar() or 0)
            self.alerts = IdCursor(session.execute(select(func.max(DeskAlert.id))).scalar() or 0)
        rows = session.execute(select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at,
                                      TicketEvent.actor_id).where(TicketEvent.id > self.tickets.floor)
                               .order_by(TicketEvent.id).limit(BATCH)).all()
        fresh = set(self.tickets.fresh([row.id for row in rows], clock))
        changes: List[Change] = [
            ("ticket", {"id": row.ticket_id, "kind": row.kind, "at": _iso(row.at), "actor_id": row.actor_id}, False)
            for row in rows if row.id in fresh]
        rows = session.execute(select(DeskAlert.id, DeskAlert.kind, DeskAlert.ticket_id, DeskAlert.text)
                               .where(DeskAlert.id > self.alerts.floor).order_by(DeskAlert.id).limit(BATCH)).all()
        fresh = set(self.alerts.fresh([row.id for row in rows], clock))
        changes.extend(("alert", {"id": row.id, "kind": row.kind, "ticket_id": row.ticket_id, "text": row.text}, True)
                       for row in rows if row.id in fresh)
        return changes

    def _shopper_messages(self, session: Session, first: bool) -> List[Change]:
        if self.events is None:
            if not has_events_table(session):
                return []
            top = session.execute(select(func.max(EVENTS.c.id))).scalar() or 0
            if first:
                floor = top  # what came before the desk started is not news
            elif self.events_lost_at is not None and top >= self.events_lost_at:
                floor = self.events_lost_at  # the same table, read again after a failure
            else:
                floor = 0  # a table that appeared since (Rasa's first start): every row is new
            self.events, self.events_lost_at = IdCursor(floor), None
            catch_up(session, self.clock())
            if first:
                return []
        rows = session.execute(select(EVENTS.c.id, case((EVENTS.c.type_name == "user", 1), else_=0).label("user"))
                               .where(EVENTS.c.id > self.events.floor).order_by(EVENTS.c.id).limit(BATCH)).all()
        fresh = set(self.events.fresh([row.id for row in rows], time.monotonic()))
        shopper = [row.id for row in rows if row.id in fresh and row.user]
        if not shopper:
            return []
        return [("message", {"ticket_id": ticket_id, "from": "shopper", "at": _iso(when)}, False)
                for ticket_id, when in apply_shopper_messages(session, shopper, self.clock())]


class LiveFeed:
    """The watcher task of one desk process and its hub."""

    def __init__(self, app: web.Application):
        self.app = app
        self.hub = Hub()
        self.watcher = Watcher(app[ENGINE], app[CLOCK])
        self.stopping = asyncio.Event()
        self.task: Optional[asyncio.Task] = None
        self.failures = 0
        self.last_auto_assign = 0.0

    async def start(self) -> None:
        try:
            await in_background_thread(self.watcher.poll)
        except Exception:
            self.failures = 1
            logger.warning("the live feed cannot read the database at start; it keeps trying", exc_info=True)
        self.task = asyncio.create_task(self.run(), name="desk-live-feed")

    async def stop(self) -> None:
        self.hub.close()
        self.stopping.set()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, STOP_SECONDS)
            except asyncio.TimeoutError:
                logger.warning("the live feed's poll did not finish in %s s at shutdown", STOP_SECONDS)

    async def run(self) -> None:
        while not self.stopping.is_set():
            pause = POLL_SECONDS
            try:
                changes = await in_background_thread(self.watcher.poll)
            except Exception:
                self.failures += 1
                pause = min(RETRY_MAX_SECONDS, POLL_SECONDS * 2 ** min(self.failures, 5))
                if self.failures == 1:
                    logger.warning("the live feed cannot read the database; retrying", exc_info=True)
                else:
                    logger.debug("the live feed still cannot read the database", exc_info=True)
            else:
                if self.failures:
                    logger.info("the live feed reads the database again")
                    self.failures = 0
                self._publish(changes)
                await self._auto_assign(changes)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), pause)

    def _publish(self, changes: List[Change]) -> None:
        for event, data, supervisors_only in changes:
            self.hub.publish(event, data, supervisors_only=supervisors_only)

    async def _auto_assign(self, changes: List[Change]) -> None:
        if not inbox_routes.policy(self.app).enabled:
            return
        due = time.monotonic() - self.last_auto_assign >= AUTO_ASSIGN_SECONDS
        if not due and not any(event == "ticket" and data["kind"] in AUTO_ASSIGN_KINDS for event, data, _ in changes):
            return
        self.last_auto_assign = time.monotonic()
        try:
            await inbox_routes.auto_assign_now(self.app)
        except Exception:
            logger.warning("automatic assignment failed; it runs again shortly", exc_info=True)


FEED = web.AppKey("live_feed", LiveFeed)


async def running(app: web.Application):
    """app.cleanup_ctx: the feed runs while the app does."""
    feed = LiveFeed(app)
    app[FEED], app[HUB] = feed, feed.hub
    await feed.start()
    yield
    await feed.stop()


async def close_streams(app: web.Application) -> None:
    """app.on_shutdown: end every open stream, before the server waits for its requests to finish."""
    hub = app.get(HUB)
    if hub is not None:
        hub.close()


def attach(app: web.Application) -> None:
    app.cleanup_ctx.append(running)
    app.on_shutdown.append(close_streams)


async def _login_holds(request: web.Request) -> bool:
    """The stream's login is still a session of the same user in the same role (a database that does not
    answer is given the benefit of the doubt until the next check)."""
    try:
        user = await in_session(request.app[ENGINE], desk_user_for_token, request.cookies.get(COOKIE),
                                now(request))
    except SQLAlchemyError:
        logger.debug("could not check a live stream's login", exc_info=True)
        return True
    opened = request[USER]
    return user is not None and user["id"] == opened["id"] and user["role"] == opened["role"]


@routes.get("/api/live", roles=STAFF)
async def api_live(request: web.Request):
    hub = request.app.get(HUB)
    if hub is None or hub.closed:
        return error(503, "the live feed is not running; reload in a moment")
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if request.method == "HEAD":
        return web.Response(headers=headers)
    user = request[USER]
    refused = hub.refusal(user["id"])
    if refused is not None:
        return error(*refused)
    listener = hub.subscribe(supervisor=is_supervisor(user["role"]), user_id=user["id"],
                             transport=request.transport)
    response = web.StreamResponse(headers=headers)
    loop = asyncio.get_running_loop()
    try:
        await response.prepare(request)
        await response.write(b"retry: 3000\n: connected\n\n")
        checked = pinged = loop.time()
        while True:
            wait = max(0.0, min(pinged + PING_SECONDS, checked + SESSION_CHECK_SECONDS) - loop.time())
            try:
                data = await asyncio.wait_for(listener.queue.get(), wait)
            except asyncio.TimeoutError:
                data = None
            if data == _CLOSE:
                break
            if loop.time() - checked >= SESSION_CHECK_SECONDS:
                checked = loop.time()
                if not await _login_holds(request):
                    break  # logged out, switched off, expired or another role: the console logs in again
            if data is None:
                if loop.time() - pinged < PING_SECONDS:
                    continue
                data = b": ping\n\n"
            pinged = loop.time()
            await response.write(data)
    except ConnectionResetError:
        pass  # the console went away
    finally:
        hub.unsubscribe(listener)
    return response
