"""The trainer workbench's routes: the inbox of real messages, labelling, import, export to training
data, and the evaluation reports. Trainers and admins only; shopper text is masked and sent as data."""
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.desk.blocking import in_thread
from bot.desk.routing import TRAINERS, Routes, install
from bot.db.models import Role
from bot.trainer.evaluation import latest_reports
from bot.trainer.export import export_labels
from bot.trainer.importing import ImportError_, import_messages
from bot.trainer.conversations import conversation_for_trainer
from bot.trainer.inbox import InboxQuery, inbox_page
from bot.trainer.labels import LabelError, labelled_texts, set_labels
from bot.trainer.paths import TrainingPaths

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
REPORT_FOLDER = re.compile(r"^\d{8}-\d{6}-[\w.-]{1,40}$")
MAX_IMPORT = 8 * 1024 * 1024
# 50 rows a page: a million messages.
MAX_PAGE = 20_000


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _page(value: str) -> int:
    if not (value or "0").isascii() or not (value or "0").isdigit() or int(value or "0") > MAX_PAGE:
        raise ValueError(value)
    return int(value or "0")


def _date(value: str) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def add_workbench_routes(app: web.Application, *, engine: Engine, rasa, paths: TrainingPaths,
                         now: Callable[[], datetime]) -> None:
    intents = paths.intents()

    def trainer_only(request) -> Optional[web.Response]:
        if request["user"]["role"] not in (Role.trainer, Role.admin):
            return _error(403, "trainers only")
        return None

    def predict_or_none(words: str):
        try:
            return rasa.parse(words)
        except Exception:  # the assistant is down: the message waits for a prediction
            return None

    async def page(request):
        return web.FileResponse(STATIC / "workbench.html")

    async def api_intents(request):
        refused = trainer_only(request)
        return refused if refused is not None else web.json_response({"intents": intents})

    async def api_inbox(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        q = request.query
        try:
            query = InboxQuery(order=q.get("order", "confidence"), intent=q.get("intent") or None,
                               not_understood=q.get("not_understood") == "1", handed_off=q.get("handed_off") == "1",
                               since=_date(q.get("since", "")), until=_date(q.get("until", "")),
                               search=q.get("q", "")[:200].strip(), status=q.get("status", "todo"),
                               page=_page(q.get("page", "0")))
        except ValueError:
            return _error(400, f"dates are YYYY-MM-DD and page is a whole number from 0 to {MAX_PAGE}")
        # Syncs new chat messages first; rows name conversations by opaque reference, never by id.
        return web.json_response(await in_thread(inbox_page, engine, query, user_id=request["user"]["id"],
                                                 predict=rasa.parse))

    async def api_conversation(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        view = await in_thread(conversation_for_trainer, engine, request.match_info["reference"])
        if view is None:
            return _error(404, "no conversation with that reference (imported messages have none)")
        return web.json_response(view)

    async def api_labels(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON")
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            return _error(400, "send {keys: [...], intent?, angry?, spam?, entities?}")
        changes = {name: body[name] for name in ("intent", "angry", "spam", "entities") if name in body}
        if not changes:
            return _error(400, "nothing to label: give intent, angry, spam or entities")
        def work():
            with session_scope(engine) as session:
                return set_labels(session, keys=[str(k) for k in body["keys"][:500]], user_id=request["user"]["id"],
                                  now=now(), known_intents=intents, **changes)
        try:
            count = await in_thread(work)  # a write that may wait for SQLite's lock: off the event loop
        except LabelError as error:
            return _error(400, str(error))
        return web.json_response({"labelled": count})

    async def api_import(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        try:
            form = await request.post()
        except ValueError:
            return _error(400, "send the file as multipart/form-data in a field named file")
        upload = form.get("file")
        if upload is None or not hasattr(upload, "file"):
            return _error(400, "send the file as multipart/form-data in a field named file")
        content = upload.file.read(MAX_IMPORT + 1)
        if len(content) > MAX_IMPORT:
            return _error(413, f"the file is larger than {MAX_IMPORT // (1024 * 1024)} MB; split it")

        def work():
            with session_scope(engine) as session:
                return import_messages(session, content, upload.filename or "import", predict=predict_or_none,
                                       now=now())
        try:
            report = await in_thread(work)
        except ImportError_ as error:
            return _error(400, str(error))
        return web.json_response(report.as_dict())

    async def api_export(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused

        def work():
            with session_scope(engine) as session:
                labelled = labelled_texts(session)
            return export_labels(labelled, nlu_dir=paths.nlu_dir, test_set=paths.test_set,
                                 anger_file=paths.anger_file)
        report = await in_thread(work)
        return web.json_response(report.as_dict())

    async def api_reports(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        latest, trend = latest_reports(paths.reports_dir)
        return web.json_response({"latest": latest, "trend": trend})

    async def report_image(request):
        refused = trainer_only(request)
        if refused is not None:
            return refused
        folder, name = request.match_info["folder"], request.match_info["name"]
        if not REPORT_FOLDER.match(folder) or name not in ("test_set_confusion.png", "labelled_confusion.png"):
            return _error(404, "no such report image")
        path = paths.reports_dir / folder / name
        if not path.is_file():
            return _error(404, "no such report image")
        return web.FileResponse(path)

    # Trainers and admins only: supervisors and agents see customers' data elsewhere, not labelling work.
    routes = Routes()
    for method, path, handler in (
            ("GET", "/workbench", page), ("GET", "/api/intents", api_intents), ("GET", "/api/inbox", api_inbox),
            ("GET", "/api/inbox/conversations/{reference}", api_conversation),
            ("POST", "/api/labels", api_labels), ("POST", "/api/export", api_export),
            ("GET", "/api/reports", api_reports), ("GET", "/api/reports/{folder}/{name}", report_image)):
        routes.add(method, path, handler, roles=TRAINERS)
    routes.add("POST", "/api/inbox/import", api_import, roles=TRAINERS, body="multipart")
    install(app, routes)
