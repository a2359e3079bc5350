"""SLA clocks (bot/desk/sla.py), the policy file (support/sla.yml) and follow-ups on a real database: the
clock is moved forward through the `now` every call is given; mail goes to a real local SMTP server."""
import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from bot.db import session_scope
from bot.db.models import DeskAlert, FollowUp, Role, ShopperMail, SlaBreach, Ticket, TicketEvent, TicketStatus
from bot.desk import follow_ups, sla
from bot.desk.accounts import create_user
from bot.desk.sla_policies import (DEFAULT_FILE, SlaPolicyError, build_rules, duration_words, parse_duration,
                                   read_policy_file, use_rules)
from bot.handoff.hours import SupportHours
from bot.handoff.queue import Summary, claim, open_ticket, resolve
from bot.mail import SmtpMailer
from tests.integration.servers import free_port

NEW_YORK = SupportHours.parse(timezone="America/New_York", days=["mon", "tue", "wed", "thu", "fri"],
                              opens="09:00", closes="18:00")
RULES = build_rules(read_policy_file(DEFAULT_FILE), hours=NEW_YORK, shop="Trailhead Supply Co.",
                    support_email="help@trailhead-supply.example")
MONDAY = datetime(2026, 11, 23, 15, 0)  # Monday 10:00 in New York (naive UTC, as stored)
MINUTES = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def new_york_rules():
    with use_rules(RULES):
        yield RULES


@pytest.fixture()
def people(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        return {name: create_user(session, email=f"{name}@shop.example", password="long enough pw", role=role,
                                  name=name).id
                for name, role in (("ana", Role.agent), ("ben", Role.agent), ("sam", Role.supervisor))}


def new_ticket(engine, now, *, conversation="shopper-1", contact_email=None) -> int:
    with session_scope(engine) as session:
        ticket = open_ticket(session, conversation_id=conversation, reason="requested", peak_anger=0.1,
                             peak_level="none", summary=Summary(["where is my parcel"], {}, []), now=now)
        ticket.contact_email = contact_email
        sla.refresh_clock(session, ticket, now)
        return ticket.id


def ticket_state(engine, ticket_id, now):
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket.sla_clock, ticket.sla_due_at, ticket.flagged, sla.clock_json(ticket, now)


def rows(engine, model, **where):
    with session_scope(engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        found = list(session.execute(query.order_by(model.id)).scalars())
        session.expunge_all()
        return found


# The policy file ----------------------------------------------------------------------------------------

def test_the_project_policies_are_good_after_sales_practice():
    policies = {clock.name: clock for clock in RULES.clocks}
    assert {name: (clock.within, clock.business_hours) for name, clock in policies.items()} == {
        "first_reply": (5 * 60, True), "escalation": (3600, True), "resolution": (24 * 3600, True),
        "follow_up": (72 * 3600, True)}
    assert all(0 < clock.warn_before < clock.within and clock.label for clock in RULES.clocks)
    assert RULES.breach_text("first_reply") == "no first reply within 5 minutes"
    assert RULES.breach_text("escalation") == "unresolved after 1 hour, escalated to a supervisor"
    subject, body = RULES.follow_up_email(ticket_id=12)
    assert "Trailhead Supply Co." in subject and "#12" in body and "help@trailhead-supply.example" in body


def test_durations_read_and_said_in_words():
    assert [parse_duration(v) for v in ("5 minutes", "1 hour", "72 hours", "30 seconds", " 90 minute ")] == [
        300, 3600, 259200, 30, 5400]
    assert [duration_words(s) for s in (300, 3600, 259200, 30, 5400, 61)] == [
        "5 minutes", "1 hour", "72 hours", "30 seconds", "90 minutes", "61 seconds"]


def _broken(tmp_path, change) -> str:
    import yaml

    data = yaml.safe_load(DEFAULT_FILE.read_text())
    change(data["policies"])
    path = tmp_path / "sla.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SlaPolicyError) as error:
        read_policy_file(path)
    return str(error.value)


@pytest.mark.parametrize("change, expected", [
    (lambda p: p["first_reply"].update(within="5 mins"), "policies.first_reply.within: Value error, expected a time"),
    (lambda p: p["first_reply"].update(within="0 minutes"), "within must be at least 1 second"),
    (lambda p: p["escalation"].update(warn_before="2 hours"), "warn_before must be shorter than within"),
    (lambda p: p["resolution"].update(hours="weekdays"), "policies.resolution.hours"),
    (lambda p: p["resolution"].update(colour="red"), "policies.resolution.colour: Extra inputs are not permitted"),
    (lambda p: p.pop("follow_up"), "policies.follow_up: Field required"),
    (lambda p: p["first_reply"].update(breach="late by {minutes}"), "unknown placeholder {minutes}; use {within}"),
    (lambda p: p["follow_up"]["email"].update(body="Hello {name"), "follow_up.email"),
    (lambda p: p["follow_up"]["email"].update(subject="Hi\nBcc: x@y.example"), "follow_up.email.subject"),
    (lambda p: p["first_reply"].update(label=""), "policies.first_reply.label"),
])
def test_a_broken_policy_file_says_where_and_why(tmp_path, change, expected):
    message = _broken(tmp_path, change)
    assert message.startswith(f"{tmp_path / 'sla.yml'} is invalid:")
    assert expected.replace("Value error, ", "") in message


def test_missing_or_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(SlaPolicyError, match="file is missing"):
        read_policy_file(tmp_path / "nothing.yml")
    (tmp_path / "bad.yml").write_text("policies:\n  first_reply: [unclosed\n")
    with pytest.raises(SlaPolicyError, match=r"line \d+, column \d+: not valid YAML"):
        read_policy_file(tmp_path / "bad.yml")
    (tmp_path / "list.yml").write_text("- first_reply\n")
    with pytest.raises(SlaPolicyError, match="expected a mapping"):
        read_policy_file(tmp_path / "list.yml")


def test_the_desk_and_the_sweep_refuse_to_start_with_a_broken_policy_file(tmp_path, monkeypatch, capsys,
                                                                          app_database):
    from bot.cli import main
    from bot.settings import get_settings

    (tmp_path / "sla.yml").write_text("policies: {}\n")
    monkeypatch.setenv("SLA_POLICY_FILE", str(tmp_path / "sla.yml"))
    get_settings.cache_clear()
    with use_rules(None):  # the configured file, not the rules this module's fixture installed
        assert main(["sla-sweep"]) == 1
        assert "policies.first_reply: Field required" in capsys.readouterr().err
        assert main(["serve-desk", "--port", str(free_port())]) == 1  # refused before it serves anything
        assert "sla.yml is invalid" in capsys.readouterr().err


# Clocks -------------------------------------------------------------------------------------------------

def test_a_new_ticket_runs_its_first_reply_clock_in_business_hours(sqlite_engine):
    ticket_id = new_ticket(sqlite_engine, MONDAY)
    clock, due, flagged, shown = ticket_state(sqlite_engine, ticket_id, MONDAY)
    assert (clock, due, flagged) == ("first_reply", MONDAY + 5 * MINUTES, False)
    assert shown == {"clock": "first_reply", "label": "First reply", "due_at": "2026-11-23T15:05:00Z",
                     "warn_at": "2026-11-23T15:03:00Z", "seconds_left": 300, "business_seconds_left": 300,
                     "hours": "business", "state": "ok"}
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + 3 * MINUTES)[3]["state"] == "due_soon"
    late = ticket_state(sqlite_engine, ticket_id, MONDAY + 7 * MINUTES)[3]
    assert (late["state"], late["seconds_left"], late["business_seconds_left"]) == ("breached", -120, -120)


def test_out_of_hours_the_countdown_waits_for_the_team(sqlite_engine):
    friday_evening = datetime(2026, 11, 27, 22, 58)  # Friday 17:58 in New York
    ticket_id = new_ticket(sqlite_engine, friday_evening)
    _, due, _, shown = ticket_state(sqlite_engine, ticket_id, datetime(2026, 11, 28, 15, 0))  # Saturday
    assert due == datetime(2026, 11, 30, 14, 3)  # Monday 09:03
    assert shown["state"] == "ok" and shown["business_seconds_left"] == 180
    assert shown["seconds_left"] == int((due - datetime(2026, 11, 28, 15, 0)).total_seconds())


def test_the_clock_moves_on_with_the_reply_and_stops_at_the_resolve(sqlite_engine, people):
    ticket_id = new_ticket(sqlite_engine, MONDAY)
    with session_scope(sqlite_engine) as session:
        claim(session, ticket_id=ticket_id, agent_id=people["ana"], now=MONDAY + MINUTES)
        ticket = session.get(Ticket, ticket_id)
        session.refresh(ticket)
        ticket.first_reply_at = MONDAY + 2 * MINUTES
        sla.refresh_clock(session, ticket, MONDAY + 2 * MINUTES)
    clock, due, _, shown = ticket_state(sqlite_engine, ticket_id, MONDAY + 2 * MINUTES)
    assert (clock, due, shown["label"]) == ("escalation", MONDAY + 60 * MINUTES, "Escalation")
    with session_scope(sqlite_engine) as session:
        assert resolve(session, ticket_id=ticket_id, agent_id=people["ana"], now=MONDAY + 9 * MINUTES,
                       tag="answered")
        ticket = session.get(Ticket, ticket_id)
        session.refresh(ticket)
        sla.refresh_clock(session, ticket, MONDAY + 9 * MINUTES)
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + 9 * MINUTES)[:2] == (None, None)
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + 9 * MINUTES)[3] is None


# The sweep ----------------------------------------------------------------------------------------------

def test_a_missed_first_reply_is_recorded_once_flags_the_ticket_and_alerts_supervisors(sqlite_engine):
    ticket_id = new_ticket(sqlite_engine, MONDAY)
    assert sla.run_sweep(sqlite_engine, MONDAY + 4 * MINUTES).breaches == []
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + 4 * MINUTES)[2] is False

    report = sla.run_sweep(sqlite_engine, MONDAY + 6 * MINUTES)
    assert report.breaches == [{"ticket_id": ticket_id, "clock": "first_reply", "due_at": "2026-11-23T15:05:00Z"}]
    for later in (7, 8, 30):  # every sweep after sees it, none records it again
        assert sla.run_sweep(sqlite_engine, MONDAY + later * MINUTES).breaches == []
    [breach] = rows(sqlite_engine, SlaBreach, ticket_id=ticket_id)
    assert (breach.clock, breach.due_at, breach.breached_at) == ("first_reply", MONDAY + 5 * MINUTES,
                                                                 MONDAY + 6 * MINUTES)
    [alert] = rows(sqlite_engine, DeskAlert, ticket_id=ticket_id)
    assert (alert.kind, alert.text) == ("sla_breach", f"Ticket #{ticket_id}: no first reply within 5 minutes")
    [event] = rows(sqlite_engine, TicketEvent, ticket_id=ticket_id, kind="sla_breach")
    assert json.loads(event.detail) == {"clock": "first_reply", "label": "First reply",
                                        "due_at": "2026-11-23T15:05:00Z"}
    clock, _, flagged, shown = ticket_state(sqlite_engine, ticket_id, MONDAY + 30 * MINUTES)
    # Still unanswered: the missed first reply stays on the ticket, red, until someone answers.
    assert (clock, flagged, shown["state"]) == ("first_reply", True, "breached")


def test_escalation_fires_once_then_the_countdown_moves_to_the_resolution(sqlite_engine, people):
    ticket_id = new_ticket(sqlite_engine, MONDAY)
    with session_scope(sqlite_engine) as session:
        claim(session, ticket_id=ticket_id, agent_id=people["ana"], now=MONDAY + MINUTES)
        session.get(Ticket, ticket_id).first_reply_at = MONDAY + 2 * MINUTES  # without refreshing the clock
    # The sweep at the first reply's due time finds it kept and moves the clock on, recording nothing.
    assert sla.run_sweep(sqlite_engine, MONDAY + 5 * MINUTES).breaches == []
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + 5 * MINUTES)[0] == "escalation"

    report = sla.run_sweep(sqlite_engine, MONDAY + 61 * MINUTES)
    assert [b["clock"] for b in report.breaches] == ["escalation"]
    clock, due, flagged, shown = ticket_state(sqlite_engine, ticket_id, MONDAY + 61 * MINUTES)
    # 24 business hours from Monday 10:00 in New York: Wednesday 16:00 (21:00 UTC).
    assert (clock, due, flagged, shown["state"]) == ("resolution", datetime(2026, 11, 25, 21, 0), True, "ok")
    assert [a.text for a in rows(sqlite_engine, DeskAlert)] == [
        f"Ticket #{ticket_id}: unresolved after 1 hour, escalated to a supervisor"]

    report = sla.run_sweep(sqlite_engine, datetime(2026, 11, 25, 21, 0))
    assert [b["clock"] for b in report.breaches] == ["resolution"]
    assert ticket_state(sqlite_engine, ticket_id, datetime(2026, 11, 26))[3]["state"] == "breached"
    assert [b.clock for b in rows(sqlite_engine, SlaBreach)] == ["escalation", "resolution"]


def test_a_ticket_long_forgotten_records_every_clock_it_missed_in_one_sweep(sqlite_engine):
    ticket_id = new_ticket(sqlite_engine, MONDAY)
    report = sla.run_sweep(sqlite_engine, MONDAY + timedelta(days=7))
    assert sorted(b["clock"] for b in report.breaches) == ["escalation", "first_reply", "resolution"]
    assert len(rows(sqlite_engine, DeskAlert, ticket_id=ticket_id)) == 3
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + timedelta(days=7))[0] == "first_reply"


def test_the_sweep_starts_the_clocks_of_tickets_opened_elsewhere(sqlite_engine):
    with session_scope(sqlite_engine) as session:  # as the action server opens one: no clock yet
        ticket_id = open_ticket(session, conversation_id="elsewhere", reason="requested", peak_anger=0.0,
                                peak_level="none", summary=Summary([], {}, []), now=MONDAY).id
    assert ticket_state(sqlite_engine, ticket_id, MONDAY)[0] is None
    assert sla.run_sweep(sqlite_engine, MONDAY + MINUTES).clocks_started == 1
    assert ticket_state(sqlite_engine, ticket_id, MONDAY + MINUTES)[:2] == ("first_reply", MONDAY + 5 * MINUTES)


def test_resolved_and_abandoned_tickets_are_left_alone(sqlite_engine, people):
    done = new_ticket(sqlite_engine, MONDAY, conversation="done")
    gone = new_ticket(sqlite_engine, MONDAY, conversation="gone")
    with session_scope(sqlite_engine) as session:
        claim(session, ticket_id=done, agent_id=people["ana"], now=MONDAY)
        resolve(session, ticket_id=done, agent_id=people["ana"], now=MONDAY + MINUTES, tag="answered")
        session.get(Ticket, gone).status = TicketStatus.abandoned
    assert sla.run_sweep(sqlite_engine, MONDAY + timedelta(days=3)).breaches == []
    assert rows(sqlite_engine, DeskAlert) == []


def test_two_sweeps_at_once_record_the_breach_once(postgres_engine):
    """Two desk processes sweep the same moment: the second one's insert waits on the first one's
    transaction and then finds the breach there (the unique constraint decides)."""
    ticket_id = new_ticket(postgres_engine, MONDAY)
    late = MONDAY + 6 * MINUTES
    results = {}
    with session_scope(postgres_engine) as first:
        results["first"] = sla.sweep(first, late)
        other = threading.Thread(target=lambda: results.__setitem__("second", sla.run_sweep(postgres_engine, late)))
        other.start()
        _wait_until_blocked(postgres_engine)  # the second sweep waits for this transaction
    other.join(timeout=30)
    assert not other.is_alive()
    assert len(results["first"].breaches) == 1 and results["second"].breaches == []
    assert len(rows(postgres_engine, SlaBreach, ticket_id=ticket_id)) == 1
    assert len(rows(postgres_engine, DeskAlert, ticket_id=ticket_id)) == 1
    assert len(rows(postgres_engine, TicketEvent, ticket_id=ticket_id, kind="sla_breach")) == 1


def _wait_until_blocked(engine, timeout=20.0):
    deadline = time.monotonic() + timeout
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
            watcher.rollback()
            if waiting:
                return
    raise AssertionError("the second sweep never waited for the first one's transaction")


# Follow-ups ---------------------------------------------------------------------------------------------

def resolved_ticket(engine, people, *, agent="ana", contact_email=None, tag="answered", conversation="shopper-1"):
    ticket_id = new_ticket(engine, MONDAY, conversation=conversation, contact_email=contact_email)
    with session_scope(engine) as session:
        claim(session, ticket_id=ticket_id, agent_id=people[agent], now=MONDAY)
        resolve(session, ticket_id=ticket_id, agent_id=people[agent], now=MONDAY + 10 * MINUTES, tag=tag)
        follow_ups.schedule_follow_up(session, session.get(Ticket, ticket_id), MONDAY + 10 * MINUTES)
    return ticket_id


# 72 business hours after Monday 10:10 in New York: Thursday of the next week, 10:10 (15:10 UTC).
FOLLOW_UP_DUE = datetime(2026, 12, 3, 15, 10)


def test_a_resolve_books_the_follow_up_72_business_hours_later(sqlite_engine, people):
    ticket_id = resolved_ticket(sqlite_engine, people)
    [booked] = rows(sqlite_engine, FollowUp, ticket_id=ticket_id)
    assert (booked.due_at, booked.state, booked.assigned_agent_id) == (FOLLOW_UP_DUE, "scheduled", people["ana"])
    with session_scope(sqlite_engine) as session:  # a second call (another process) books nothing more
        assert follow_ups.schedule_follow_up(session, session.get(Ticket, ticket_id), MONDAY + 11 * MINUTES) is None
    assert len(rows(sqlite_engine, FollowUp)) == 1
    spam = resolved_ticket(sqlite_engine, people, tag="spam", conversation="spammer")
    assert rows(sqlite_engine, FollowUp, ticket_id=spam) == []


def test_a_due_follow_up_is_mailed_to_the_shopper_once(sqlite_engine, people, mailbox):
    ticket_id = resolved_ticket(sqlite_engine, people, contact_email="jane@example.com")
    assert sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE - MINUTES).emailed == 0
    assert mailbox.messages == []

    report = sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE)
    assert (report.emailed, report.follow_up_tasks) == (1, 0)
    [message] = mailbox.messages
    assert message["To"] == "jane@example.com"
    assert message["Subject"] == "Is everything settled? Your conversation with Trailhead Supply Co."
    assert f"reference #{ticket_id}" in message.get_content()
    [done] = rows(sqlite_engine, FollowUp, ticket_id=ticket_id)
    assert (done.state, done.done_at) == ("emailed", FOLLOW_UP_DUE)
    [mail] = rows(sqlite_engine, ShopperMail, ticket_id=ticket_id)
    assert (mail.kind, mail.conversation_id, mail.sent_at) == ("follow_up", "shopper-1", FOLLOW_UP_DUE)
    events = rows(sqlite_engine, TicketEvent, ticket_id=ticket_id, kind="follow_up")
    assert [json.loads(e.detail)["state"] for e in events] == ["scheduled", "emailed"]
    assert "jane@" not in events[-1].detail  # masked in the history

    sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE + 5 * MINUTES)
    assert len(mailbox.messages) == 1


def test_without_an_address_the_follow_up_is_a_task_for_the_agent_who_resolved(sqlite_engine, people):
    ticket_id = resolved_ticket(sqlite_engine, people, agent="ben")
    report = sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE)
    assert (report.follow_up_tasks, report.emailed, report.follow_up_mails) == (1, 0, [])
    with session_scope(sqlite_engine) as session:
        listed = lambda who, **kw: follow_ups.list_follow_ups(session, user_id=people[who], now=FOLLOW_UP_DUE,
                                                              **{"everyone": False, "state": "task", **kw})
        [task] = listed("ben")
        assert listed("ana") == []
        assert [t["id"] for t in listed("sam", everyone=True)] == [task["id"]]
    assert (task["ticket_id"], task["agent"], task["state"], task["due_at"]) == (
        ticket_id, "ben", "task", "2026-12-03T15:10:00Z")
    assert task["text"] == "ask the shopper whether everything is settled"

    with session_scope(sqlite_engine) as session, pytest.raises(follow_ups.NotYours):
        follow_ups.mark_done(session, follow_up_id=task["id"], user_id=people["ana"], supervisor=False,
                             now=FOLLOW_UP_DUE)
    with session_scope(sqlite_engine) as session:
        follow_ups.mark_done(session, follow_up_id=task["id"], user_id=people["ben"], supervisor=False,
                             now=FOLLOW_UP_DUE + MINUTES)
    with session_scope(sqlite_engine) as session, pytest.raises(follow_ups.NotATask):
        follow_ups.mark_done(session, follow_up_id=task["id"], user_id=people["sam"], supervisor=True,
                             now=FOLLOW_UP_DUE + MINUTES)
    [done] = rows(sqlite_engine, FollowUp, ticket_id=ticket_id)
    assert (done.state, done.done_by_id, done.done_at) == ("done", people["ben"], FOLLOW_UP_DUE + MINUTES)


def test_a_mail_the_server_refuses_becomes_a_task(sqlite_engine, people):
    ticket_id = resolved_ticket(sqlite_engine, people, contact_email="jane@example.com")
    dead = SmtpMailer(f"smtp://127.0.0.1:{free_port()}")
    report = sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE, mailer=dead)
    assert (report.emailed, report.mail_failed) == (0, 1)
    [task] = rows(sqlite_engine, FollowUp, ticket_id=ticket_id)
    assert task.state == "task" and task.assigned_agent_id == people["ana"]
    assert rows(sqlite_engine, ShopperMail) == []
    last = rows(sqlite_engine, TicketEvent, ticket_id=ticket_id, kind="follow_up")[-1]
    assert json.loads(last.detail) == {"state": "task", "mail_failed": True}


def test_a_sending_that_never_finished_becomes_a_task(sqlite_engine, people):
    ticket_id = resolved_ticket(sqlite_engine, people, contact_email="jane@example.com")
    with session_scope(sqlite_engine) as session:  # a sweep that claimed the mail, then its process stopped
        claimed = sla.sweep(session, FOLLOW_UP_DUE)
    assert [m.ticket_id for m in claimed.follow_up_mails] == [ticket_id]
    assert rows(sqlite_engine, FollowUp)[0].state == "sending"
    assert sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE + 5 * MINUTES).follow_up_tasks == 0
    assert sla.run_sweep(sqlite_engine, FOLLOW_UP_DUE + 11 * MINUTES).follow_up_tasks == 1
    assert rows(sqlite_engine, FollowUp)[0].state == "task"


def test_the_cli_sweeps_at_the_time_given(app_database, capsys):
    from bot.cli import main

    ticket_id = new_ticket(app_database, MONDAY)
    assert main(["sla-sweep", "--at", "2026-11-23T10:06:00-05:00"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["at"] == "2026-11-23T15:06:00Z" and printed["breaches"] == 1
    with session_scope(app_database) as session:
        assert session.execute(select(func.count()).select_from(SlaBreach)
                               .where(SlaBreach.ticket_id == ticket_id)).scalar_one() == 1
    assert main(["sla-sweep", "--at", "yesterday"]) == 1
    assert "--at must be an ISO time" in capsys.readouterr().err
