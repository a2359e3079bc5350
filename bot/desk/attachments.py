"""Where the photos shoppers send are kept: the re-encoded file under the data directory (named by its
random id) and a row in the attachments table; the limits that stop a script from filling the disk.
The database functions take a session and return plain values; file work runs in a thread."""
import asyncio
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, List, Optional

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import Attachment
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
# Decoding a large photo takes a core for a fraction of a second and up to a few hundred MB: a burst of
# uploads queues on a pool of its own instead of taking the threads database work shares.
DECODING_THREADS = 2
_decoding_pool: Optional[ThreadPoolExecutor] = None


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


def refusal(session: Session, *, conversation_id: str, client: str, now: datetime) -> Optional[str]:
    """Why one more photo may not be taken now (for the shopper), or None."""
    since = now - WINDOW

    def count(*conditions) -> int:
        return session.execute(select(func.count()).select_from(Attachment)
                               .where(Attachment.created_at >= since, *conditions)).scalar_one()

    if (count(Attachment.conversation_id == conversation_id) >= PER_CONVERSATION
            or count(Attachment.client_key == hashed_client(client)) >= PER_CLIENT):
        return TOO_MANY
    if count() >= PER_HOUR_TOTAL:
        return TOO_MANY_TOTAL
    return None


def _json(attachment: Attachment) -> dict:
    return {"id": attachment.id, "conversation_id": attachment.conversation_id,
            "content_type": attachment.content_type, "size": attachment.size, "width": attachment.width,
            "height": attachment.height, "created_at": attachment.created_at.isoformat() + "Z"}


def record(session: Session, *, attachment_id: str, conversation_id: str, photo: Photo, client: str,
           now: datetime) -> dict:
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
