"""The agent console's routes: SLA policies, supervisors' alerts and follow-up tasks; and the SLA sweep
that runs in the background of each desk process (bot/desk/sla.py)."""
import asyncio
import contextlib
import logging
from datetime import timezone

from aiohttp import web

from bot.desk import alerts, follow_ups, sla
from bot.desk.blocking import in_background_thread, in_session
from bot.desk.context import CLOCK, ENGINE, USER, now
from bot.desk.hygiene import error, row_id
from bot.desk.routing import STAFF, SUPERVISORS, Routes
from bot.desk.sla_policies import active_rules, policies_json

logger = logging.getLogger(__name__)
routes = Routes()
# Seconds between two sweeps in this process (SLA_SWEEP_SECONDS for `serve-desk`); 0: no sweep here.
SWEEP_SECONDS = web.AppKey("sla_sweep_seconds", float)


def _is_supervisor(request: web.Request) -> bool:
    return request[USER]["role"].value in SUPERVISORS


@routes.get("/api/sla/policies", roles=STAFF)
async def api_policies(request: web.Request):
    rules = active_rules()
    body = policies_json(rules)
    body["open_now"] = rules.hours.is_open(now(request).replace(tzinfo=timezone.utc))
    return web.json_response(body)


@routes.get("/api/alerts", roles=SUPERVISORS)
async def api_alerts(request: web.Request):
    """Unacknowledged alerts, newest first; ?all=1 includes the acknowledged ones."""
    found = await in_session(request.app[ENGINE], alerts.list_alerts,
                             include_acknowledged=request.query.get("all") == "1")
    return web.json_response({"alerts": found})


@routes.post("/api/alerts/{alert_id}/acknowledge", roles=SUPERVISORS)
async def api_acknowledge(request: web.Request):
    alert_id = row_id(request.match_info["alert_id"], "an alert id")
    try:
        alert = await in_session(request.app[ENGINE], alerts.acknowledge, alert_id=alert_id,
                                 user_id=request[USER]["id"], now=now(request))
    except alerts.NoSuchAlert:
        return error(404, "no such alert")
    return web.json_response({"ok": True, "alert": alert})


@routes.get("/api/follow-ups", roles=STAFF)
async def api_follow_ups(request: web.Request):
    """The follow-ups given to me (a supervisor: everyone's); ?state=task (default) | scheduled | sending |
    emailed | done | all."""
    state = request.query.get("state", "task")
    if state != "all" and state not in follow_ups.STATES:
        return error(400, "state must be one of " + ", ".join(follow_ups.STATES) + " or all")
    found = await in_session(request.app[ENGINE], follow_ups.list_follow_ups, user_id=request[USER]["id"],
                             everyone=_is_supervisor(request), state=state, now=now(request))
    return web.json_response({"follow_ups": found})


@routes.post("/api/follow-ups/{follow_up_id}/done", roles=STAFF)
async def api_follow_up_done(request: web.Request):
    follow_up_id = row_id(request.match_info["follow_up_id"], "a follow-up id")
    try:
        await in_session(request.app[ENGINE], follow_ups.mark_done, follow_up_id=follow_up_id,
                         user_id=request[USER]["id"], supervisor=_is_supervisor(request), now=now(request))
    except follow_ups.NoSuchFollowUp:
        return error(404, "no such follow-up")
    except follow_ups.NotYours:
        return error(403, "this follow-up was given to another agent")
    except follow_ups.NotATask as refused:
        return error(409, f"this follow-up is not a task waiting for a person (it is {refused.state})")
    return web.json_response({"ok": True})


async def sweeper(app: web.Application):
    """cleanup_ctx: the SLA sweep every SWEEP_SECONDS while the desk runs (nothing when 0)."""
    seconds = app.get(SWEEP_SECONDS, 0)
    task = asyncio.create_task(_sweep_forever(app, seconds)) if seconds > 0 else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sweep_forever(app: web.Application, seconds: float) -> None:
    from bot.desk.offline_messages import mailer_of

    while True:
        try:
            report = await in_background_thread(sla.run_sweep, app[ENGINE], app[CLOCK](), mailer=mailer_of(app))
            if report.breaches or report.follow_up_tasks or report.emailed or report.mail_failed:
                logger.info("SLA sweep: %s", report.as_dict())
        except Exception:  # the next sweep tries again; the desk keeps serving
            logger.exception("SLA sweep failed; the next one runs in %s s", seconds)
        await asyncio.sleep(seconds)
