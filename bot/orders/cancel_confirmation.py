"""Confirming a cancellation with a one-time code mailed to the order's email: the order is verified
(email or postcode), can still be cancelled, and the person in the chat reads the order's mailbox."""
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from bot.db import session_scope
from bot.mail import MailUnavailable, send_mail
from bot.orders.cancellation import can_cancel
from bot.orders.lookup import find_order_view
from bot.orders.masking import mask_email
from bot.orders.one_time_code import CODE_LIFETIME, CodeCheck, check_code, is_confirmed, issue_code

PURPOSE = "cancel"
SUBJECT = "Your code to cancel order {number}"
BODY = ("Someone asked our chat assistant to cancel order {number}.\n\n"
        "If it was you, type this code in the chat: {code}\n\n"
        "It works for {minutes} minutes. If it wasn't you, ignore this email: nothing will change.\n")


class CodeRequest(str, enum.Enum):
    sent = "sent"
    not_needed = "not_needed"  # the order can no longer be cancelled (or is gone): nothing to confirm
    refused = "refused"  # the order had its share of codes this hour
    mail_failed = "mail_failed"


@dataclass(frozen=True)
class CodeRequestResult:
    outcome: CodeRequest
    sent_to: Optional[str] = None  # the masked address, for the shopper


def request_code(*, order_number: str, conversation_id: str, now: datetime,
                 send: Callable[..., None] = send_mail) -> CodeRequestResult:
    with session_scope() as session:
        order = find_order_view(session, number=order_number)
        if order is None or not can_cancel(order.status):
            return CodeRequestResult(CodeRequest.not_needed)
        code = issue_code(session, order_number=order_number, conversation_id=conversation_id, purpose=PURPOSE,
                          now=now)
        email = order.email
    if code is None:
        return CodeRequestResult(CodeRequest.refused)
    try:
        send(to=email, subject=SUBJECT.format(number=order_number),
             body=BODY.format(number=order_number, code=code, minutes=int(CODE_LIFETIME.total_seconds() // 60)))
    except MailUnavailable:
        return CodeRequestResult(CodeRequest.mail_failed)
    return CodeRequestResult(CodeRequest.sent, mask_email(email))


def check(*, order_number: str, conversation_id: str, answer: str, now: datetime) -> CodeCheck:
    with session_scope() as session:
        return check_code(session, order_number=order_number, conversation_id=conversation_id, purpose=PURPOSE,
                          answer=answer, now=now)


def confirmed(*, order_number: str, conversation_id: str, now: datetime) -> bool:
    """Checked in the database, never from the conversation's slots."""
    with session_scope() as session:
        return is_confirmed(session, order_number=order_number, conversation_id=conversation_id, purpose=PURPOSE,
                            now=now)
