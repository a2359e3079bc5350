"""The trainer workbench's routes: the inbox of real messages, labelling, import, export to training
data, and the evaluation reports. For TRAINERS (trainers and admins) only: supervisors and agents see
customers' data elsewhere, not labelling work. Shopper text is masked and sent as data."""
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import List, Optional

from aiohttp import web

from bot.desk.blocking import in_session, in_thread
from bot.desk.context import ENGINE, RASA, USER, now
from bot.desk.hygiene import error, json_object
from bot.desk.routing import TRAINERS, Routes
from bot.trainer.conversations import conversation_for_trainer
from bot.trainer.evaluation import latest_reports
from bot.trainer.export import export_labels
from bot.trainer.importing import ImportError_, import_messages
from bot.trainer.inbox import InboxQuery, inbox_page
from bot.trainer.labels import LabelError, labelled_texts, set_labels
from bot.trainer.paths import TrainingPaths

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
REPORT_FOLDER = re.compile(r"^\d{8}-\d{6}-[\w.-]{1,40}$")
REPORT_IMAGES = ("test_set_confusion.png", "labelled_confusion.png")
MAX_IMPORT = 8 * 1024 * 1024
# 50 rows a page: a million messages.
MAX_PAGE = 20_000
# Where training data, the test set and the reports live, and the domain's intents (set by create_app).
TRAINING = web.AppKey("training_paths", TrainingPaths)
INTENTS = web.AppKey("intents", List[str])

routes = Routes()


def _page(value: str) -> int:
    if not (value or "0").isascii() or not (value or "0").isdigit() or int(value or "0") > MAX_PAGE:
        raise ValueError(value)
    return int(value or "0")


def _date(value: str) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def _predict_or_none(rasa, words: str):
    try:
        return rasa.parse(words)
    except Exception:  # the assistant is down: the message waits for a prediction
        return None


@routes.get("/workbench", roles=TRAINERS)
async def workbench_page(request: web.Request):
    return web.FileResponse(STATIC / "workbench.html")


@routes.get("/api/intents", roles=TRAINERS)
async def api_intents(request: web.Request):
    return web.json_response({"intents": request.app[INTENTS]})


@routes.get("/api/inbox", roles=TRAINERS)
async def api_inbox(request: web.Request):
    q = request.query
    try:
        query = InboxQuery(order=q.get("order", "confidence"), intent=q.get("intent") or None,
                           not_understood=q.get("not_understood") == "1", handed_off=q.get("handed_off") == "1",
                           since=_date(q.get("since", "")), until=_date(q.get("until", "")),
                           search=q.get("q", "")[:200].strip(), status=q.get("status", "todo"),
                           page=_page(q.get("page", "0")))
    except ValueError:
        return error(400, f"dates are YYYY-MM-DD and page is a whole number from 0 to {MAX_PAGE}")
    # Syncs new chat messages first; rows name conversations by opaque reference, never by id.
    return web.json_response(await in_thread(inbox_page, request.app[ENGINE], query, user_id=request[USER]["id"],
                                             predict=request.app[RASA].parse))


@routes.get("/api/inbox/conversations/{reference}", roles=TRAINERS)
async def api_conversation(request: web.Request):
    view = await in_thread(conversation_for_trainer, request.app[ENGINE], request.match_info["reference"])
    if view is None:
        return error(404, "no conversation with that reference (imported messages have none)")
    return web.json_response(view)


@routes.post("/api/labels", roles=TRAINERS)
async def api_labels(request: web.Request):
    body = json_object(request)
    if not isinstance(body.get("keys"), list):
        return error(400, "send {keys: [...], intent?, angry?, spam?, entities?}")
    changes = {name: body[name] for name in ("intent", "angry", "spam", "entities") if name in body}
    if not changes:
        return error(400, "nothing to label: give intent, angry, spam or entities")
    try:
        count = await in_session(request.app[ENGINE], set_labels, keys=[str(k) for k in body["keys"][:500]],
                                 user_id=request[USER]["id"], now=now(request),
                                 known_intents=request.app[INTENTS], **changes)
    except LabelError as problem:
        return error(400, str(problem))
    return web.json_response({"labelled": count})


@routes.post("/api/inbox/import", roles=TRAINERS, body="multipart")
async def api_import(request: web.Request):
    try:
        form = await request.post()
    except ValueError:
        return error(400, "send the file as multipart/form-data in a field named file")
    upload = form.get("file")
    if upload is None or not hasattr(upload, "file"):
        return error(400, "send the file as multipart/form-data in a field named file")
    content = await in_thread(upload.file.read, MAX_IMPORT + 1)
    if len(content) > MAX_IMPORT:
        return error(413, f"the file is larger than {MAX_IMPORT // (1024 * 1024)} MB; split it")
    rasa = request.app[RASA]
    try:
        report = await in_session(request.app[ENGINE], import_messages, content, upload.filename or "import",
                                  predict=lambda words: _predict_or_none(rasa, words), now=now(request))
    except ImportError_ as problem:
        return error(400, str(problem))
    return web.json_response(report.as_dict())


@routes.post("/api/export", roles=TRAINERS)
async def api_export(request: web.Request):
    paths = request.app[TRAINING]
    labelled = await in_session(request.app[ENGINE], labelled_texts)
    report = await in_thread(export_labels, labelled, nlu_dir=paths.nlu_dir, test_set=paths.test_set,
                             anger_file=paths.anger_file)
    return web.json_response(report.as_dict())


@routes.get("/api/reports", roles=TRAINERS)
async def api_reports(request: web.Request):
    latest, trend = await in_thread(latest_reports, request.app[TRAINING].reports_dir)
    return web.json_response({"latest": latest, "trend": trend})


@routes.get("/api/reports/{folder}/{name}", roles=TRAINERS)
async def report_image(request: web.Request):
    folder, name = request.match_info["folder"], request.match_info["name"]
    if not REPORT_FOLDER.match(folder) or name not in REPORT_IMAGES:
        return error(404, "no such report image")
    path = request.app[TRAINING].reports_dir / folder / name
    if not path.is_file():
        return error(404, "no such report image")
    return web.FileResponse(path)
