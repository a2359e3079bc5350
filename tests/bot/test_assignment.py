"""Assignment on a real database: assign, transfer with a note, unassign and who may do each; races
between people (and desk processes) acting at once; availability; the automatic round robin. Then the
same over the desk's JSON API with real logins (Rasa's HTTP API is the recording fake of test_desk_api)."""
import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import Role, Ticket, TicketEvent, TicketNote, TicketStatus, User
from bot.desk import assignment
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.desk.assignment import AutoAssign, Refused
from bot.handoff.queue import Summary, claim, open_ticket
from tests.bot.test_desk_api import HEADERS, RecordingRasa, login

NOW = datetime(2026, 11, 23, 15, 0)
PASSWORD = "long enough pw"


def people(engine, *specs):
    """(name, role, availability) -> ids, in order."""
    with session_scope(engine) as session:
        users = [User(email=f"{name}@shop.example", name=name, password_hash="x", role=role, availability=available)
                 for name, role, available in specs]
        session.add_all(users)
        session.flush()
        return [user.id for user in users]


def ticket(engine, conversation, *, level="none", minutes_ago=0):
    with session_scope(engine) as session:
        return open_ticket(session, conversation_id=conversation, reason="requested", peak_anger=0.1,
                           peak_level=level, summary=Summary(["help"], {}, []),
                           now=NOW - timedelta(minutes=minutes_ago)).id


def state(engine, ticket_id):
    with session_scope(engine) as session:
        row = session.get(Ticket, ticket_id)
        return row.status, row.assigned_agent_id


def history(engine, ticket_id):
    with session_scope(engine) as session:
        return [(e.kind, e.actor_id, json.loads(e.detail)) for e in session.execute(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).scalars()]


def act(engine, function, **kwargs):
    with session_scope(engine) as session:
        return function(session, now=NOW, **kwargs)


@pytest.fixture()
def team(engine):
    ana, ben, cy, sam, tia = people(engine, ("ana", Role.agent, "away"), ("ben", Role.agent, "away"),
                                    ("cy", Role.agent, "away"), ("sam", Role.supervisor, "away"),
                                    ("tia", Role.trainer, "away"))
    return engine, dict(ana=ana, ben=ben, cy=cy, sam=sam, tia=tia)


def test_assign_transfer_with_a_note_and_unassign(team):
    engine, p = team
    ticket_id = ticket(engine, "c1")
    done = act(engine, assignment.assign, ticket_id=ticket_id, agent_id=p["ben"], actor_id=p["ana"],
               actor_role=Role.agent)
    assert (done.kind, done.agent_name, done.conversation_id) == ("assigned", "ben", "c1")
    assert state(engine, ticket_id) == (TicketStatus.assigned, p["ben"])
    moved = act(engine, assignment.assign, ticket_id=ticket_id, agent_id=p["cy"], actor_id=p["ben"],
                actor_role=Role.agent, note="  Cy knows this carrier  ")
    assert moved.kind == "transferred" and state(engine, ticket_id) == (TicketStatus.assigned, p["cy"])
    act(engine, assignment.unassign, ticket_id=ticket_id, actor_id=p["cy"], actor_role=Role.agent)
    assert state(engine, ticket_id) == (TicketStatus.waiting, None)
    assert history(engine, ticket_id) == [
        ("created", None, {"reason": "requested"}),
        ("assigned", p["ana"], {"to": p["ben"]}),
        ("transferred", p["ben"], {"from": p["ben"], "to": p["cy"], "note": "Cy knows this carrier"}),
        ("unassigned", p["cy"], {"from": p["cy"]}),
    ]
    with session_scope(engine) as session:
        notes = session.execute(select(TicketNote.author_id, TicketNote.text)).all()
        assert [tuple(n) for n in notes] == [(p["ben"], "Cy knows this carrier")]
        assert session.get(Ticket, ticket_id).assigned_at is None  # waiting again, its wait counts on


def test_only_the_holder_or_a_supervisor_moves_an_assigned_ticket(team):
    engine, p = team
    ticket_id = ticket(engine, "c1")
    act(engine, claim, ticket_id=ticket_id, agent_id=p["ana"])
    for function, extra in ((assignment.assign, {"agent_id": p["ben"]}), (assignment.unassign, {})):
        with pytest.raises(Refused) as refused:
            act(engine, function, ticket_id=ticket_id, actor_id=p["ben"], actor_role=Role.agent, **extra)
        assert refused.value.status == 403
    assert state(engine, ticket_id) == (TicketStatus.assigned, p["ana"])
    act(engine, assignment.assign, ticket_id=ticket_id, agent_id=p["ben"], actor_id=p["sam"],
        actor_role=Role.supervisor)
    assert state(engine, ticket_id) == (TicketStatus.assigned, p["ben"])
    act(engine, assignment.unassign, ticket_id=ticket_id, actor_id=p["sam"], actor_role=Role.supervisor)
    assert state(engine, ticket_id) == (TicketStatus.waiting, None)


def test_what_cannot_be_assigned(team):
    engine, p = team
    ticket_id = ticket(engine, "c1")
    for agent_id, status in ((p["tia"], 404), (99999, 404)):  # trainers take no tickets
        with pytest.raises(Refused) as refused:
            act(engine, assignment.assign, ticket_id=ticket_id, agent_id=agent_id, actor_id=p["ana"],
                actor_role=Role.agent)
        assert refused.value.status == status
    with pytest.raises(Refused) as refused:
        act(engine, assignment.assign, ticket_id=99999, agent_id=p["ben"], actor_id=p["ana"], actor_role=Role.agent)
    assert refused.value.status == 404
    act(engine, claim, ticket_id=ticket_id, agent_id=p["ana"])
    with pytest.raises(Refused, match="already holds"):
        act(engine, assignment.assign, ticket_id=ticket_id, agent_id=p["ana"], actor_id=p["ana"],
            actor_role=Role.agent)
    with session_scope(engine) as session:
        session.get(Ticket, ticket_id).status = TicketStatus.resolved
    with pytest.raises(Refused, match="closed"):
        act(engine, assignment.assign, ticket_id=ticket_id, agent_id=p["ben"], actor_id=p["sam"],
            actor_role=Role.supervisor)
    with pytest.raises(Refused, match="nobody holds"):
        act(engine, assignment.unassign, ticket_id=ticket_id, actor_id=p["sam"], actor_role=Role.supervisor)


def test_of_concurrent_transfers_exactly_one_wins(postgres_engine):
    ana, *others = people(postgres_engine, ("ana", Role.agent, "away"),
                          *((f"sup{n}", Role.supervisor, "away") for n in range(6)))
    ticket_id = ticket(postgres_engine, "contested")
    act(postgres_engine, claim, ticket_id=ticket_id, agent_id=ana)

    def transfer(supervisor):
        try:
            act(postgres_engine, assignment.assign, ticket_id=ticket_id, agent_id=supervisor, actor_id=supervisor,
                actor_role=Role.supervisor, holder_seen=ana)
            return True
        except Refused as refused:
            assert refused.status == 409
            return False
    with ThreadPoolExecutor(max_workers=6) as pool:
        won = list(pool.map(transfer, others))
    assert won.count(True) == 1
    winner = others[won.index(True)]
    assert state(postgres_engine, ticket_id) == (TicketStatus.assigned, winner)
    assert [kind for kind, _, _ in history(postgres_engine, ticket_id)] == ["created", "claimed", "transferred"]


def test_availability_and_the_team_with_open_counts(team):
    engine, p = team
    for n in range(3):
        act(engine, claim, ticket_id=ticket(engine, f"c{n}"), agent_id=p["ben"] if n else p["ana"])
    with session_scope(engine) as session:
        assert assignment.set_availability(session, user_id=p["ben"], availability="available") == "available"
        with pytest.raises(ValueError):
            assignment.set_availability(session, user_id=p["ben"], availability="asleep")
        team_list = assignment.agents(session)
    assert team_list[0] == {"id": p["ben"], "name": "ben", "role": "agent", "availability": "available",
                            "open_count": 2}
    assert {a["name"]: a["open_count"] for a in team_list} == {"ben": 2, "ana": 1, "cy": 0, "sam": 0}  # no trainer


def test_automatic_assignment_round_robin_under_the_limit(team):
    engine, p = team
    with session_scope(engine) as session:
        for name in ("ana", "ben", "sam"):
            assignment.set_availability(session, user_id=p[name], availability="available")
        session.get(User, p["ana"]).last_assigned_at = NOW - timedelta(minutes=5)
        session.get(User, p["ben"]).last_assigned_at = NOW - timedelta(minutes=9)  # idle longest
    act(engine, claim, ticket_id=ticket(engine, "held"), agent_id=p["sam"])  # Sam is at the limit of 1
    furious = ticket(engine, "f", level="furious", minutes_ago=1)
    oldest = ticket(engine, "o", minutes_ago=30)
    newest = ticket(engine, "n", minutes_ago=2)
    done = act(engine, assignment.auto_assign, limit=1)
    # Highest priority first to the agent idle longest; Cy is away; Sam and then everyone is full.
    assert [(a.ticket_id, a.agent_name) for a in done] == [(furious, "ben"), (oldest, "ana")]
    assert state(engine, newest) == (TicketStatus.waiting, None)
    assert history(engine, furious)[-1] == ("assigned", None, {"to": p["ben"], "auto": True})
    assert act(engine, assignment.auto_assign, limit=1) == []
    done = act(engine, assignment.auto_assign, limit=2)  # room for one more each: Sam, never given one, first
    assert [(a.ticket_id, a.agent_name) for a in done] == [(newest, "sam")]


def test_automatic_assignment_in_several_processes_at_once_keeps_the_limit(postgres_engine):
    agents = people(postgres_engine, *((f"agent{n}", Role.agent, "available") for n in range(3)))
    tickets = [ticket(postgres_engine, f"t{n}", minutes_ago=n) for n in range(12)]

    def one_pass(_):
        return act(postgres_engine, assignment.auto_assign, limit=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        passes = list(pool.map(one_pass, range(4)))
    given = [a.ticket_id for done in passes for a in done]
    assert len(given) == len(set(given)) == 6  # each ticket once, two per agent
    with session_scope(postgres_engine) as session:
        held = dict(session.execute(select(Ticket.assigned_agent_id, func.count()).where(
            Ticket.status == TicketStatus.assigned).group_by(Ticket.assigned_agent_id)).all())
        assert held == {agent: 2 for agent in agents}
        assert session.execute(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.kind == "assigned")).scalar_one() == 6
    assert set(given) <= set(tickets)


# -- over the JSON API ------------------------------------------------------------------------------------

@pytest.fixture()
def desk(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("ben@shop.example", Role.agent),
                            ("sam@shop.example", Role.supervisor), ("tia@shop.example", Role.trainer)):
            create_user(session, email=email, password=PASSWORD, role=role, name=email.split("@")[0])
        users = {user.name: user.id for user in session.execute(select(User)).scalars()}
    return sqlite_engine, knowledge, users


def serve(engine, knowledge, scenario, *, auto_assign=None):
    rasa = RecordingRasa()
    app = create_app(engine=engine, rasa=rasa, knowledge=knowledge, now=lambda: NOW, auto_assign=auto_assign)

    async def main():
        async with TestClient(TestServer(app)) as ana, TestClient(TestServer(app)) as ben, \
                TestClient(TestServer(app)) as sam:
            for client, name in ((ana, "ana"), (ben, "ben"), (sam, "sam")):
                await login(client, f"{name}@shop.example")
            await scenario(ana, ben, sam)
    asyncio.run(main())
    return rasa


def post(client, path, body=None):
    return client.post(path, json=body if body is not None else {}, headers=HEADERS)


def test_api_assign_transfer_unassign(desk):
    engine, knowledge, users = desk
    ticket_id = ticket(engine, "shopper-1")

    async def scenario(ana, ben, sam):
        answer = await post(ana, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["ben"]})
        assert answer.status == 200
        assert await answer.json() == {"ok": True, "kind": "assigned", "agent": {"id": users["ben"], "name": "ben"}}
        refused = await post(ana, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["ana"]})
        assert refused.status == 403 and "supervisor" in (await refused.json())["error"]
        moved = await post(ben, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["ana"], "note": "yours"})
        assert (await moved.json())["kind"] == "transferred"
        mine = await (await ana.get("/api/tickets?view=mine")).json()
        assert [t["id"] for t in mine["tickets"]] == [ticket_id] and mine["tickets"][0]["assigned_agent"] == "ana"
        detail = await (await ana.get(f"/api/tickets/{ticket_id}")).json()
        assert [note["text"] for note in detail["notes"]] == ["yours"]
        assert (await post(ben, f"/api/tickets/{ticket_id}/unassign")).status == 403
        assert (await post(sam, f"/api/tickets/{ticket_id}/unassign")).status == 200
        assert (await (await ana.get("/api/tickets?view=unassigned")).json())["counts"]["unassigned"] == 1
        for body, problem in (({}, "agent_id"), ({"agent_id": "2"}, "agent_id"), ({"agent_id": True}, "agent_id"),
                              ({"agent_id": users["ben"], "note": 5}, "note"),
                              ({"agent_id": users["ben"], "note": "x" * 2001}, "note")):
            bad = await post(ana, f"/api/tickets/{ticket_id}/assign", body)
            assert bad.status == 400 and problem in (await bad.json())["error"]
        trainer = await post(ana, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["tia"]})
        assert trainer.status == 404
        # A screen that still shows the ticket unassigned, after Ben took it, may not take it from him.
        assert (await post(ben, f"/api/tickets/{ticket_id}/claim")).status == 200
        stale = await post(sam, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["sam"], "from_agent_id": None})
        assert stale.status == 409 and "changed hands" in (await stale.json())["error"]
        seen = await post(sam, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["sam"],
                                                                    "from_agent_id": users["ben"]})
        assert seen.status == 200 and (await seen.json())["kind"] == "transferred"
        bad = await post(sam, f"/api/tickets/{ticket_id}/assign", {"agent_id": users["ana"], "from_agent_id": "x"})
        assert bad.status == 400 and "from_agent_id" in (await bad.json())["error"]
    rasa = serve(engine, knowledge, scenario)
    # The shopper hears who joined on each assignment and transfer.
    assert rasa.announced == [("shopper-1", "ben"), ("shopper-1", "ana"), ("shopper-1", "ben"), ("shopper-1", "sam")]


def test_api_resolve_with_a_tag_replies_and_notes(desk):
    engine, knowledge, users = desk
    ticket_id = ticket(engine, "shopper-2")

    async def scenario(ana, ben, sam):
        tags = await (await ana.get("/api/resolution-tags")).json()
        assert [t["value"] for t in tags["tags"]] == ["answered", "refund_arranged", "exchange", "escalated", "spam"]
        assert tags["tags"][1]["label"] == "Refund arranged"
        assert (await post(ana, f"/api/tickets/{ticket_id}/claim")).status == 200
        assert (await post(ana, f"/api/tickets/{ticket_id}/messages", {"text": "On it."})).status == 200
        assert (await post(ana, f"/api/tickets/{ticket_id}/notes", {"text": "refund agreed"})).status == 200
        item = (await (await ana.get("/api/tickets?view=mine")).json())["tickets"][0]
        assert item["first_reply_at"] == item["last_agent_at"] == "2026-11-23T15:00:00Z"
        assert item["awaiting_reply"] is False
        bad = await post(ana, f"/api/tickets/{ticket_id}/resolve", {"tag": "solved-ish"})
        assert bad.status == 400 and "refund_arranged" in (await bad.json())["error"]
        assert (await post(ben, f"/api/tickets/{ticket_id}/resolve", {"tag": "answered"})).status == 409
        done = await post(ana, f"/api/tickets/{ticket_id}/resolve", {"tag": "refund_arranged"})
        body = await done.json()
        assert done.status == 200 and body["ok"] is True
        assert body["ticket"]["status"] == "resolved" and body["ticket"]["resolution_tag"] == "refund_arranged"
        assert body["ticket"]["resolved_at"] == "2026-11-23T15:00:00Z" and body["ticket"]["handle_seconds"] == 0
        resolved = await (await ana.get("/api/tickets?view=resolved")).json()
        assert [t["id"] for t in resolved["tickets"]] == [ticket_id]
    serve(engine, knowledge, scenario)
    events = history(engine, ticket_id)
    # (The SLA clocks may add their own events after the resolve, e.g. the follow-up they schedule.)
    assert [kind for kind, _, _ in events[:5]] == ["created", "claimed", "replied", "noted", "resolved"]
    assert events[4] == ("resolved", users["ana"], {"tag": "refund_arranged"})


def test_api_availability_agents_and_automatic_assignment(desk):
    engine, knowledge, users = desk
    first = ticket(engine, "shopper-a", minutes_ago=10)
    second = ticket(engine, "shopper-b", minutes_ago=5)

    async def scenario(ana, ben, sam):
        me = await (await ana.get("/api/me")).json()
        assert me["availability"] == "away"
        assert state(engine, first) == (TicketStatus.waiting, None)  # nobody available: nothing assigned
        answer = await post(ana, "/api/me/availability", {"availability": "available"})
        assert await answer.json() == {"ok": True, "availability": "available"}
        assert (await (await ana.get("/api/me")).json())["availability"] == "available"
        # Ana became available: she gets the oldest waiting ticket, and only one (her limit).
        assert state(engine, first) == (TicketStatus.assigned, users["ana"])
        assert state(engine, second) == (TicketStatus.waiting, None)
        team_list = (await (await ben.get("/api/agents")).json())["agents"]
        assert team_list[0] == {"id": users["ana"], "name": "ana", "role": "agent", "availability": "available",
                                "open_count": 1}
        assert "tia" not in {a["name"] for a in team_list}
        assert (await post(ana, f"/api/tickets/{first}/resolve", {"tag": "answered"})).status == 200
        # Resolving made room: the next waiting ticket is hers.
        assert state(engine, second) == (TicketStatus.assigned, users["ana"])
        bad = await post(ana, "/api/me/availability", {"availability": "asleep"})
        assert bad.status == 400
    rasa = serve(engine, knowledge, scenario, auto_assign=AutoAssign(enabled=True, open_limit=1))
    assert rasa.announced == [("shopper-a", "ana"), ("shopper-b", "ana")]
