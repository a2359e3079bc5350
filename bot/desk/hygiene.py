"""Request hygiene for the whole desk: every error is a JSON {"error": ...} (never a traceback), every
response carries the security headers, and request bodies are checked before any handler sees them."""
import json
import logging
from typing import Any, Optional

from aiohttp import web
from sqlalchemy.exc import InternalError, OperationalError

# The parsed JSON body of a request, read once by bot/desk/routing.py before the handler runs.
JSON_BODY = web.RequestKey("json", object)

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# The API's JSON bodies are small (a reply, a note, a page of label keys); uploads go as multipart.
MAX_JSON_BODY = 1024 * 1024
MAX_JSON_DEPTH = 32
# Ids are the database's INTEGER (32 bits on PostgreSQL): anything larger can name no row.
MAX_ID = 2 ** 31 - 1


def error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


class BadRequest(web.HTTPBadRequest):
    """A 400 with a JSON body, raised from helpers deep inside a handler."""

    def __init__(self, message: str):
        super().__init__(text=json.dumps({"error": message}), content_type="application/json")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response the app sends, files, redirects and errors included.
    setdefault: the shop's pages bring their own, wider Content-Security-Policy."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")  # answers carry customers' data


@web.middleware
async def json_errors(request: web.Request, handler):
    """The outermost middleware: HTTP errors get a JSON body; anything unexpected is logged here and
    answered with a bare 500, so that no stack trace or exception text reaches the caller."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {name: value for name, value in exc.headers.items()
                   if name.lower() not in ("content-type", "content-length")}
        return web.json_response({"error": (exc.reason or "error").lower()}, status=exc.status, headers=headers)
    except (OperationalError, InternalError):  # unreachable, locked, read-only, disk full
        logger.exception("database error on %s %s", request.method, request.path)
        return error(503, "the database is not available; try again shortly")
    except Exception:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error(500, "internal error")


@web.middleware
async def bounded_bodies(request: web.Request, handler):
    """Refuse, before a byte of it is read, a body the desk never needs: aiohttp 3.9 inflates compressed
    request bodies without a bound (CVE-2025-69223) and checks form uploads field by field rather than
    whole (CVE-2025-69228). No page of the desk compresses what it sends, and every browser sends the
    length of a form or a fetch body."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return error(415, "compressed request bodies are not accepted")
    if request.body_exists and request.content_length is None:
        return error(411, "send the body with a Content-Length")
    if request.content_length is not None and request.content_length > request.app._client_max_size:
        return error(413, "the body is too large")
    return await handler(request)


def _check_structure(value: Any) -> None:
    """Iteratively (a recursive walk could itself overflow): bounded nesting and text that is valid
    Unicode, since lone surrogates ("\\ud800" escapes) cannot be stored or sent on as UTF-8."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("the text contains invalid characters (lone surrogates)") from None


def parse_json(raw: bytes) -> Any:
    """The value of a JSON body, or BadRequest with a reason a caller can act on."""
    if not raw.strip():
        raise BadRequest("the body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadRequest(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    _check_structure(value)
    return value


def json_object(request: web.Request) -> dict:
    """The request's JSON object, already read and checked by the route guard."""
    if request.content_type != "application/json":
        raise BadRequest("send JSON with Content-Type: application/json")
    value = request.get(JSON_BODY)
    if value is None:
        raise BadRequest("the body is empty; send a JSON object")
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


def text_field(data: dict, name: str, *, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    _check_storable(value, name)
    return value


def _check_storable(text: str, name: str) -> None:
    """PostgreSQL text holds no NUL character (the driver refuses it: a 500 instead of a 400)."""
    if "\x00" in text:
        raise BadRequest(f"{name} contains a NUL character")


def row_id(value: str, what: str = "id") -> int:
    """A database id from a URL: a positive whole number in range, else 400 (an unknown one is 404 later)."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) < 1 or int(value) > MAX_ID:
        raise BadRequest(f"{what} must be a whole number from 1 to {MAX_ID}")
    return int(value)


def optional_text(value: Optional[str]) -> str:
    """A query parameter as text that can be stored and searched (invalid characters refused)."""
    if value is None:
        return ""
    _check_text(value)
    _check_storable(value, "the query")
    return value
