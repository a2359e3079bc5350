"""Email addresses in text: found and masked ('jane.doe@example.com' -> 'j***@e***.com').

Pure, importable by both environments: the application masks replies, logs and ticket summaries
(bot/orders/masking.py), the Rasa side the address a waiting shopper leaves (bot/chat/acknowledgement.py)."""
import re
from typing import Optional

EMAIL_ADDRESS = re.compile(r"([a-z0-9._%+'-])([a-z0-9._%+'-]*)@([a-z0-9-])([a-z0-9.-]*)(\.[a-z]{2,})", re.IGNORECASE)


def mask_email(text: str) -> str:
    """'jane.doe@example.com' -> 'j***@e***.com', anywhere in the text."""
    return EMAIL_ADDRESS.sub(lambda m: f"{m.group(1)}***@{m.group(3)}***{m.group(5)}", text)


def email_in(text: str) -> Optional[str]:
    """The first email address in the text, or None."""
    found = EMAIL_ADDRESS.search(text or "")
    return found.group(0) if found else None
