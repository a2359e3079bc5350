"""Order numbers and verification factors as shoppers type them."""
import re
from typing import Optional

ORDER_NUMBER_FORMAT = "TS followed by 6 digits, e.g. TS104233"
_ORDER_NUMBER = re.compile(r"(?<![a-z0-9])(?:ts)?[\s#:-]*(\d{6})(?![0-9])", re.IGNORECASE)
# Public: masking (bot/orders/masking.py) finds order numbers and emails in free text with these too.
EXPLICIT_ORDER_NUMBER = re.compile(r"(?<![a-z0-9])ts[\s#:-]*(\d{6})(?![0-9])", re.IGNORECASE)
EMAIL = re.compile(r"[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
_POSTCODE = re.compile(r"^[a-z0-9][a-z0-9 -]{1,8}[a-z0-9]$", re.IGNORECASE)


def normalize_order_number(text: Optional[str]) -> Optional[str]:
    """'ts-104233', '#104233', 'order 104233' -> 'TS104233'; None when no order number is in the text."""
    if not text:
        return None
    match = _ORDER_NUMBER.search(text[:500])
    return f"TS{match.group(1)}" if match else None


def explicit_order_number(text: Optional[str]) -> Optional[str]:
    """Only an order number written with its TS prefix: a bare 6-digit number may be a postcode."""
    if not text:
        return None
    match = EXPLICIT_ORDER_NUMBER.search(text[:500])
    return f"TS{match.group(1)}" if match else None


def extract_email(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    match = EMAIL.search(text[:500])
    return match.group(0).lower() if match else None


def normalize_postcode(text: Optional[str]) -> Optional[str]:
    """Postcodes compare without case or spaces: 'sw1a 1aa' == 'SW1A1AA'."""
    if not text:
        return None
    candidate = text.strip().strip(".")
    for prefix in ("my postcode is", "postcode is", "postcode", "zip code is", "zip code", "zip is", "zip", "it's", "its"):
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix):].strip(" :")
    if not _POSTCODE.match(candidate) or not any(ch.isdigit() for ch in candidate):
        return None
    return re.sub(r"[\s-]", "", candidate).upper()


def extract_verification(text: Optional[str]) -> Optional[str]:
    """The email or postcode in a shopper's message, normalised for comparison. An order number written
    with its TS prefix is no postcode (it would match the postcode pattern)."""
    email = extract_email(text)
    if email:
        return email
    return None if explicit_order_number(text) else normalize_postcode(text)
