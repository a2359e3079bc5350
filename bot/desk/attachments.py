"""Where the photos shoppers send are kept: the re-encoded file under the data directory (named by its
random id) and a row in the attachments table; the limits that stop a script from filling the disk.
The database functions take a session and return plain values; file work runs in a thread."""
import asyncio
import os
import re
import secrets
import shutil
import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import session_scope
from bot.db.models import Attachment, PhotoUpload
from bot.desk.blocking import in_thread
from bot.handoff.queue import hashed_client
from bot.images import Photo, reencode
from bot.settings import get_settings

# Set by a caller that keeps the photos elsewhere (tests); otherwise DATA_DIR/attachments.
ATTACHMENTS_DIR = web.AppKey("attachments_dir", Path)
# What transcripts and URLs may name (the contract's attachment ids; ours are token_urlsafe(24): 32 chars).
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
PER_CONVERSATION = 20
PER_CLIENT = 60
# All conversations together: rotating addresses still cannot fill the disk faster than this.
PER_HOUR_TOTAL = 3000
WINDOW = timedelta(hours=1)
# The photo as we stored it, and nothing a browser could run: no sniffing, no scripts, no plugins.
PHOTO_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=86400", "Access-Control-Allow-Origin": "*"}
TOO_MANY = "You've sent a lot of photos in the last hour. Please wait a while before sending more."
TOO_MANY_TOTAL = "Photos can't be received right now. Please try again later."
TOO_MANY_AT_ONCE = "Please wait until your other photos have been sent: two can be sent at a time."
NO_ROOM = "Photos can't be taken right now."
BUSY = "Photos can't be taken right now. Please try again in a minute."
# Uploads one address may have under way at once; more would only hold bodies of 10 MB in memory.
IN_FLIGHT_PER_CLIENT = 2
PENDING, STORED, REFUSED = "pending", "stored", "refused"
# Held around each limit check and the "pending" row it writes (in-process; ours is one desk process).
_CLAIMS = threading.Lock()
# Decoding a large photo takes a core for a fraction of a second and up to a few hundred MB: a burst of
# uploads queues on a pool of its own instead of taking the threads database work shares.
DECODING_THREADS = 2
# Photos decoding or waiting for the pool: beyond this the desk answers 503 instead of holding their bodies.
DECODE_QUEUE = 8
_decoding_pool: Optional[ThreadPoolExecutor] = None


class QueueFull(RuntimeError):
    """More photos wait for decoding than the desk lets wait."""


class DecodeQueue:
    """At most `limit` photos decoding or waiting for the decoding pool; beyond that QueueFull at once,
    rather than bodies of 10 MB piling up in memory behind a slow pool. Used on the event loop only."""

    def __init__(self, limit: int):
        self.limit, self.taken = limit, 0

    @contextmanager
    def slot(self):
        if self.taken >= self.limit:
            raise QueueFull()
        self.taken += 1
        try:
            yield
        finally:
            self.taken -= 1


class InFlight:
    """Uploads an address has under way (being received or decoded) in this process, at most `limit`.
    Used on the event loop only."""

    def __init__(self, limit: int):
        self.limit = limit
        self._counts: Dict[str, int] = {}

    def enter(self, key: str) -> bool:
        if self._counts.get(key, 0) >= self.limit:
            return False
        self._counts[key] = self._counts.get(key, 0) + 1
        return True

    def leave(self, key: str) -> None:
        left = self._counts.get(key, 0) - 1
        if left > 0:
            self._counts[key] = left
        else:
            self._counts.pop(key, None)


DECODES = DecodeQueue(DECODE_QUEUE)
UPLOADING = InFlight(IN_FLIGHT_PER_CLIENT)


def folder_of(app: web.Application) -> Path:
    return app.get(ATTACHMENTS_DIR) or get_settings().attachments_dir


def is_attachment_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def new_id() -> str:
    return secrets.token_urlsafe(24)


async def decode(data: bytes) -> Photo:
    """bot.images.reencode in the decoding pool (made on first use, never at import)."""
    global _decoding_pool
    if _decoding_pool is None:
        _decoding_pool = ThreadPoolExecutor(max_workers=DECODING_THREADS, thread_name_prefix="desk-photos")
    with DECODES.slot():
        return await asyncio.get_running_loop().run_in_executor(_decoding_pool, reencode, data)


def write_file(folder: Path, attachment_id: str, data: bytes) -> None:
    """Written whole or not at all: a reader never sees half a photo."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{attachment_id}.partial"
    partial.write_bytes(data)
    os.replace(partial, folder / attachment_id)


def read_file(folder: Path, attachment_id: str) -> Optional[bytes]:
    try:
        return (folder / attachment_id).read_bytes()
    except FileNotFoundError:
        return None


def claim(session: Session, *, conversation_id: str, client: str, now: datetime,
          bytes_per_client: int) -> Tuple[Optional[int], Optional[str]]:
    """A "pending" upload written before the body is read, so that the next upload's check counts it:
    (its id, None), or (None, why no more photos may be sent now, for the shopper). Run it through
    `claim_slot`, which lets one check-and-write happen at a time."""
    since = now - WINDOW
    client_key = hashed_client(client)
    recent = select(func.count()).select_from(PhotoUpload).where(PhotoUpload.created_at >= since)
    taking = PhotoUpload.state.in_((PENDING, STORED))

    def count(*conditions) -> int:
        return session.execute(recent.where(*conditions)).scalar_one()

    stored_bytes = session.execute(select(func.coalesce(func.sum(PhotoUpload.size), 0)).where(
        PhotoUpload.created_at >= since, PhotoUpload.client_key == client_key)).scalar_one()
    # Refused uploads count for the address (each cost a decoding), not for the conversation.
    if (count(PhotoUpload.conversation_id == conversation_id, taking) >= PER_CONVERSATION
            or count(PhotoUpload.client_key == client_key) >= PER_CLIENT or stored_bytes >= bytes_per_client):
        return None, TOO_MANY
    if count(taking) >= PER_HOUR_TOTAL:
        return None, TOO_MANY_TOTAL
    upload = PhotoUpload(conversation_id=conversation_id, client_key=client_key, state=PENDING, size=0,
                         created_at=now)
    session.add(upload)
    session.flush()
    return upload.id, None


def _claim_committed(engine: Engine, **arguments) -> Tuple[Optional[int], Optional[str]]:
    with _CLAIMS, session_scope(engine) as session:  # committed before the next claim looks
        return claim(session, **arguments)


async def claim_slot(engine: Engine, **arguments) -> Tuple[Optional[int], Optional[str]]:
    return await in_thread(_claim_committed, engine, **arguments)


def refuse(session: Session, upload_id: int) -> None:
    """The upload was not stored; it still counts for its address."""
    upload = session.get(PhotoUpload, upload_id)
    if upload is not None and upload.state == PENDING:
        upload.state = REFUSED


def has_room(folder: Path, min_free_bytes: int) -> bool:
    """Whether the disk the photos go to has more free than `min_free_bytes` (the folder may not exist yet:
    its nearest existing parent is on the same disk)."""
    place = folder
    while not place.exists() and place.parent != place:
        place = place.parent
    return shutil.disk_usage(place).free >= min_free_bytes


def _json(attachment: Attachment) -> dict:
    return {"id": attachment.id, "conversation_id": attachment.conversation_id,
            "content_type": attachment.content_type, "size": attachment.size, "width": attachment.width,
            "height": attachment.height, "created_at": attachment.created_at.isoformat() + "Z"}


def record(session: Session, *, attachment_id: str, conversation_id: str, photo: Photo, client: str,
           now: datetime, upload_id: Optional[int] = None) -> dict:
    """The stored photo's row; its upload (when given) is marked stored with the bytes kept."""
    if upload_id is not None:
        upload = session.get(PhotoUpload, upload_id)
        if upload is not None:
            upload.state, upload.size = STORED, len(photo.data)
    attachment = Attachment(id=attachment_id, conversation_id=conversation_id, content_type=photo.content_type,
                            size=len(photo.data), width=photo.width, height=photo.height, created_at=now,
                            client_key=hashed_client(client))
    session.add(attachment)
    session.flush()
    return _json(attachment)


def find(session: Session, attachment_id: str, *, conversation_id: Optional[str] = None) -> Optional[dict]:
    """The attachment, only if it belongs to `conversation_id` when one is given."""
    if not is_attachment_id(attachment_id):
        return None
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or (conversation_id is not None and attachment.conversation_id != conversation_id):
        return None
    return _json(attachment)


def of_conversation(session: Session, conversation_id: str) -> List[dict]:
    return [_json(a) for a in session.execute(
        select(Attachment).where(Attachment.conversation_id == conversation_id)
        .order_by(Attachment.created_at, Attachment.id)).scalars()]


def own_ids(lines: Iterable[dict], owned: Iterable[str]) -> List[dict]:
    """Transcript lines with "attachments" cut to the ids the conversation owns (a message cannot show
    another conversation's photo by naming its id)."""
    owned = set(owned)
    kept = []
    for line in lines:
        if "attachments" in line:
            line = {**line, "attachments": [i for i in line["attachments"] if i in owned]}
            if not line["attachments"]:
                del line["attachments"]
        kept.append(line)
    return kept


async def photo_response(app: web.Application, attachment: Optional[dict]) -> web.Response:
    """The stored photo with headers that let a browser show it and nothing else; 404 without one."""
    data = None if attachment is None else await in_thread(read_file, folder_of(app), attachment["id"])
    if data is None:
        return web.json_response({"error": "no such photo"}, status=404,
                                 headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"})
    extension = "png" if attachment["content_type"] == "image/png" else "jpg"
    return web.Response(body=data, content_type=attachment["content_type"],
                        headers={**PHOTO_HEADERS, "Content-Disposition": f'inline; filename="photo.{extension}"'})
