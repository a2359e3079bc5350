"""A conversation's timeline for the console: the shopper's anger turn by turn (the small curve over the
conversation) and what happened to the ticket (markers: handoff, agent joined, transfer, resolved, SLA
breach), all on one time axis in epoch seconds, the tracker's clock."""
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from bot.handoff.anger import LEVELS

# Ticket history kinds (bot/handoff/history.py) shown as markers, and their marker.
MARKERS = {"created": "handoff", "claimed": "agent_joined", "assigned": "agent_joined", "transferred": "transfer",
           "resolved": "resolved", "sla_breach": "sla_breach"}


def epoch(moment: datetime) -> float:
    """A naive UTC datetime (the database's) on the tracker's axis."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _score(value: Any) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        return 0.0
    return round(min(max(score, 0.0), 1.0), 3) if score == score else 0.0  # NaN reads as calm


def anger_points(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One point per shopper message: its anger score (0-1) and level as the NLU scored it."""
    points = []
    for event in events:
        if event.get("event") != "user" or not isinstance(event.get("timestamp"), (int, float)):
            continue
        anger = (event.get("parse_data") or {}).get("anger")
        anger = anger if isinstance(anger, dict) else {}
        level = anger.get("level") if anger.get("level") in LEVELS else "none"
        points.append({"at": event["timestamp"], "score": _score(anger.get("score")), "level": level})
    return points


def _parse_iso(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        return None


def markers(history: Iterable[dict]) -> List[Dict[str, Any]]:
    """The ticket's history (as tickets.ticket_detail gives it: kind, at as ISO) as markers, oldest first."""
    found = []
    for event in history:
        kind, at = MARKERS.get(event.get("kind")), _parse_iso(event.get("at"))
        if kind is not None and at is not None:
            found.append({"kind": kind, "at": epoch(at)})
    return sorted(found, key=lambda marker: marker["at"])


def timeline(events: Iterable[Dict[str, Any]], history: Iterable[dict]) -> Dict[str, List[Dict[str, Any]]]:
    return {"anger": anger_points(events), "markers": markers(history)}
