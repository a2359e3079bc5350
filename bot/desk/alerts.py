"""Supervisors' alerts (DeskAlert): an SLA breach escalated a ticket (bot/desk/sla.py). Shown in the
console until a supervisor acknowledges them."""
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import DeskAlert, User


class NoSuchAlert(LookupError):
    pass


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() + "Z" if moment is not None else None


def alert_json(alert: DeskAlert, acknowledged_by: Optional[User] = None) -> dict:
    return {"id": alert.id, "kind": alert.kind, "ticket_id": alert.ticket_id, "text": alert.text,
            "created_at": _iso(alert.created_at), "acknowledged": alert.acknowledged_at is not None,
            "acknowledged_at": _iso(alert.acknowledged_at),
            "acknowledged_by": acknowledged_by.name if acknowledged_by else None}


def list_alerts(session: Session, *, include_acknowledged: bool = False, limit: int = 100) -> List[dict]:
    """Newest first: the ones nobody acknowledged yet, or (include_acknowledged) all of them."""
    query = select(DeskAlert, User).outerjoin(User, User.id == DeskAlert.acknowledged_by_id)
    if not include_acknowledged:
        query = query.where(DeskAlert.acknowledged_at.is_(None))
    rows = session.execute(query.order_by(DeskAlert.created_at.desc(), DeskAlert.id.desc()).limit(limit)).all()
    return [alert_json(alert, user) for alert, user in rows]


def acknowledge(session: Session, *, alert_id: int, user_id: int, now: datetime) -> dict:
    """The alert, acknowledged by `user_id` (the first supervisor's acknowledgement is the one kept)."""
    session.execute(update(DeskAlert).where(DeskAlert.id == alert_id, DeskAlert.acknowledged_at.is_(None))
                    .values(acknowledged_at=now, acknowledged_by_id=user_id)
                    .execution_options(synchronize_session=False))
    alert = session.get(DeskAlert, alert_id)
    if alert is None:
        raise NoSuchAlert(alert_id)
    session.refresh(alert)
    return alert_json(alert, session.get(User, alert.acknowledged_by_id))
