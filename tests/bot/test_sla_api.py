"""The SLA routes over real HTTP (aiohttp test server, real users logged in, a real seeded database): the
policies, supervisors' alerts from the desk's own background sweep, follow-up tasks after a resolve."""
import asyncio
import time
from datetime import datetime

import aiohttp
import pytest

from bot.db.models import Role
from bot.desk import sla
from bot.desk.app import create_app
from tests.security.desk_helpers import HEADERS, NOW, Clock, FakeRasa, add_ticket, add_user, login, run

USERS = {"ana": Role.agent, "ben": Role.agent, "sam": Role.supervisor, "dee": Role.admin, "tia": Role.trainer}
# NOW is Monday 23 November 2026, 10:00 in New York, inside the store's support hours.
FOLLOW_UP_DUE = datetime(2026, 12, 3, 15, 10)  # 72 business hours after a resolve at 10:10


@pytest.fixture()
def desk(sqlite_engine, knowledge):
    for name, role in USERS.items():
        add_user(sqlite_engine, f"{name}@shop.example", role)
    clock = Clock()

    def make(**options):
        return create_app(engine=sqlite_engine, rasa=FakeRasa(), knowledge=knowledge, now=clock, **options)
    return make, clock, add_ticket(sqlite_engine)


async def people(anonymous):
    """A logged-in browser (its own cookie jar) per user of the same server."""
    sessions = {}
    for name in USERS:
        session = aiohttp.ClientSession(base_url=str(anonymous.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))
        assert (await login(session, f"{name}@shop.example")).status == 200
        sessions[name] = session
    return sessions


async def log_in_again(sessions):
    """After the clock jumped days ahead, the desk sessions have expired."""
    for name, session in sessions.items():
        assert (await login(session, f"{name}@shop.example")).status == 200


async def close(sessions):
    for session in sessions.values():
        await session.close()


async def get(session, path):
    response = await session.get(path)
    return response.status, await response.json()


async def post(session, path, body=None):
    response = await session.post(path, json=body if body is not None else {}, headers=HEADERS)
    return response.status, await response.json()


def test_the_policies_for_staff(desk):
    make, _, _ = desk

    async def scenario(anonymous):
        assert (await anonymous.get("/api/sla/policies")).status == 401
        who = await people(anonymous)
        try:
            status, body = await get(who["ana"], "/api/sla/policies")
            assert status == 200
            assert [(p["name"], p["within"], p["label"]) for p in body["policies"]] == [
                ("first_reply", "5 minutes", "First reply"), ("escalation", "1 hour", "Escalation"),
                ("resolution", "24 hours", "Resolution"), ("follow_up", "72 hours", "Satisfaction follow-up")]
            assert body["policies"][0]["text"] == "no first reply within 5 minutes"
            assert all(p["hours"] == "business" for p in body["policies"])
            assert body["schedule"] == {"timezone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri"],
                                        "opens": "09:00", "closes": "18:00"}
            assert body["open_now"] is True
            assert (await get(who["tia"], "/api/sla/policies"))[0] == 403
        finally:
            await close(who)
    run(make(), scenario)


async def wait_for(condition, timeout=10.0):
    """Ask until the answer is there (the background sweep runs on its own schedule)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await condition()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("not there in time")


def test_the_desk_sweeps_in_the_background_and_supervisors_acknowledge_alerts(desk):
    make, clock, ticket_id = desk

    async def scenario(anonymous):
        who = await people(anonymous)
        try:
            assert (await get(who["sam"], "/api/alerts")) == (200, {"alerts": []})
            clock.advance(minutes=6)  # nobody answered the shopper within 5 minutes

            async def alerts():
                return (await get(who["sam"], "/api/alerts"))[1]["alerts"]
            [alert] = await wait_for(alerts)
            assert (alert["kind"], alert["ticket_id"], alert["acknowledged"]) == ("sla_breach", ticket_id, False)
            assert alert["text"] == f"Ticket #{ticket_id}: no first reply within 5 minutes"
            assert alert["created_at"] == "2026-11-23T15:06:00Z"
            for name in ("ana", "tia"):
                assert (await get(who[name], "/api/alerts"))[0] == 403
                assert (await post(who[name], f"/api/alerts/{alert['id']}/acknowledge"))[0] == 403

            clock.advance(minutes=1)
            status, body = await post(who["sam"], f"/api/alerts/{alert['id']}/acknowledge")
            assert status == 200 and body["alert"]["acknowledged"] is True
            assert (body["alert"]["acknowledged_by"], body["alert"]["acknowledged_at"]) == ("sam",
                                                                                           "2026-11-23T15:07:00Z")
            # A second acknowledgement (another supervisor, a double click) keeps the first one.
            status, body = await post(who["dee"], f"/api/alerts/{alert['id']}/acknowledge")
            assert status == 200 and body["alert"]["acknowledged_by"] == "sam"
            assert (await get(who["sam"], "/api/alerts")) == (200, {"alerts": []})
            assert [a["id"] for a in (await get(who["dee"], "/api/alerts?all=1"))[1]["alerts"]] == [alert["id"]]
            assert (await post(who["sam"], "/api/alerts/99999/acknowledge")) == (404, {"error": "no such alert"})
            assert (await post(who["sam"], "/api/alerts/first/acknowledge"))[0] == 400
        finally:
            await close(who)
    run(make(sla_sweep_seconds=0.05), scenario)


def test_a_resolve_leads_to_a_follow_up_task_for_the_agent(desk, sqlite_engine):
    make, clock, ticket_id = desk

    async def scenario(anonymous):
        who = await people(anonymous)
        try:
            assert (await post(who["ana"], f"/api/tickets/{ticket_id}/claim"))[0] == 200
            clock.advance(minutes=10)
            assert (await post(who["ana"], f"/api/tickets/{ticket_id}/resolve", {"tag": "answered"}))[0] == 200
            status, body = await get(who["sam"], "/api/follow-ups?state=scheduled")
            assert status == 200
            [booked] = body["follow_ups"]
            assert (booked["ticket_id"], booked["due_at"], booked["agent"]) == (ticket_id, "2026-12-03T15:10:00Z", "ana")
            assert (await get(who["ana"], "/api/follow-ups"))[1] == {"follow_ups": []}  # not a task yet

            clock.moment = FOLLOW_UP_DUE
            assert sla.run_sweep(sqlite_engine, clock()).follow_up_tasks == 1  # as `python -m bot sla-sweep`
            await log_in_again(who)
            [task] = (await get(who["ana"], "/api/follow-ups"))[1]["follow_ups"]
            assert (task["id"], task["state"], task["conversation_id"]) == (booked["id"], "task", "web-" + "a" * 32)
            assert (await get(who["ben"], "/api/follow-ups"))[1] == {"follow_ups": []}
            assert [t["id"] for t in (await get(who["sam"], "/api/follow-ups"))[1]["follow_ups"]] == [task["id"]]
            assert (await get(who["tia"], "/api/follow-ups"))[0] == 403

            done = f"/api/follow-ups/{task['id']}/done"
            assert (await post(who["ben"], done)) == (403, {"error": "this follow-up was given to another agent"})
            assert (await post(who["ana"], done)) == (200, {"ok": True})
            status, body = await post(who["sam"], done)
            assert status == 409 and "it is done" in body["error"]
            [finished] = (await get(who["ana"], "/api/follow-ups?state=done"))[1]["follow_ups"]
            assert (finished["done_by"], finished["done_at"]) == ("ana", "2026-12-03T15:10:00Z")
            assert (await post(who["ana"], "/api/follow-ups/99999/done"))[0] == 404
            status, body = await get(who["ana"], "/api/follow-ups?state=later")
            assert status == 400 and "state must be one of" in body["error"]
        finally:
            await close(who)
    run(make(), scenario)
