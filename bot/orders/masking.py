"""Keep personal data out of replies and logs."""
import logging
import re
import unicodedata
from typing import Callable

from bot.email_masking import mask_email  # noqa: F401 (re-exported: the application's callers import it here)
from bot.orders.numbers import EMAIL, EXPLICIT_ORDER_NUMBER



class MaskEmailsFilter(logging.Filter):
    """Installed on the root logger by the servers so that no log line carries an email address."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return True
        masked = mask_email(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_log_masking() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskEmailsFilter) for f in root.filters):
        root.addFilter(MaskEmailsFilter())
    for handler in root.handlers:
        if not any(isinstance(f, MaskEmailsFilter) for f in handler.filters):
            handler.addFilter(MaskEmailsFilter())


# What personal data becomes in training data: same shape, so the model still learns the pattern.
PLACEHOLDER_EMAIL = "customer@example.com"
PLACEHOLDER_ORDER = "TS123456"


def _stars(value: str) -> str:
    """Letters and digits become stars; spaces and hyphens stay, so the shape of the value shows."""
    return re.sub(r"[a-z0-9]", "*", value, flags=re.IGNORECASE)


def _stand_in(value: str) -> str:
    """The same shape with made-up characters: digits count up, letters are A."""
    digits = iter("1234567890" * 4)
    return re.sub(r"[0-9]", lambda _: next(digits), re.sub(r"[a-z]", "A", value, flags=re.IGNORECASE))


# UPS tracking numbers ("1Z" and 16 letters or digits); the prefix stays so that trainers see what it was.
_UPS_TRACKING = re.compile(r"(?<![a-z0-9])1z[a-z0-9]{16}(?![a-z0-9])", re.IGNORECASE)
# A code with a digit after "tracking number" is one, whatever its carrier's format (UPS's has its own).
_TRACKING_AFTER_CUE = re.compile(r"(tracking(?:\s*(?:number|no\.?|#|id|code))?\s*(?:is|:|=)?\s*)"
                                 r"((?!1z)(?=[a-z-]*\d)[a-z0-9][a-z0-9-]{6,})", re.IGNORECASE)
# Canadian (M5V 2T6) and UK (SW1A 1AA, M1 1AE) postcodes.
_CANADIAN_POSTCODE = re.compile(r"(?<![a-z0-9])[a-z]\d[a-z][ -]?\d[a-z]\d(?![a-z0-9])", re.IGNORECASE)
_UK_POSTCODE = re.compile(r"(?<![a-z0-9])[a-z]{1,2}\d[a-z0-9]?[ ]?\d[a-z]{2}(?![a-z0-9])", re.IGNORECASE)
# Digits in groups ("1234 5678 9012", "555-123-4567"): tracking and phone numbers as people type them.
_GROUPED_DIGITS = re.compile(r"(?<![0-9])\d{3,5}(?:[ -]\d{3,5}){2,}(?![0-9])")
# Any run of five or more digits: US ZIP (and ZIP+4), German and French postcodes, order numbers without
# their TS, tracking numbers (12 and 20 digits). Sizes, heights, prices and years are shorter.
_LONG_NUMBER = re.compile(r"(?<![0-9])\d{5,}(?:-\d{4})?(?![0-9])")
# Four-digit postcodes (Australia, Denmark, ...) are told from years and quantities by their cue, or by
# being the whole message (the answer to "what is the postcode?").
_SHORT_POSTCODE_AFTER_CUE = re.compile(r"((?<![a-z])(?:post\s?code|postal\s+code|zip(?:\s?code)?|plz)\W{0,3}"
                                       r"(?:is\W{1,3})?)(\d{4})(?![0-9])", re.IGNORECASE)
_SHORT_POSTCODE_ALONE = re.compile(r"^\s*\d{4}\s*$")
# Entities whose whole value is personal, whatever it looks like.
PERSONAL_ENTITIES = frozenset({"order_number", "email", "postcode", "zip", "tracking_number", "phone"})


def _replace_numbers(text: str, replace: Callable[[str], str]) -> str:
    """Tracking numbers and postcodes (and other long numbers) in `text`, each passed through `replace`."""
    text = _UPS_TRACKING.sub(lambda m: m.group(0)[:2] + replace(m.group(0)[2:]), text)
    text = _TRACKING_AFTER_CUE.sub(lambda m: m.group(1) + replace(m.group(2)), text)
    for pattern in (_CANADIAN_POSTCODE, _UK_POSTCODE, _GROUPED_DIGITS, _LONG_NUMBER, _SHORT_POSTCODE_ALONE):
        text = pattern.sub(lambda m: replace(m.group(0)), text)
    return _SHORT_POSTCODE_AFTER_CUE.sub(lambda m: m.group(1) + replace(m.group(2)), text)


def mask_personal_data(text: str) -> str:
    """For people who need the wording, not the shopper (trainers): emails, order numbers, postcodes and
    tracking numbers masked; ordinary numbers ("size 42", "182 cm", "2 pairs") stay."""
    # Fullwidth and other compatibility forms ("ＴＳ１００００４") are read as the plain characters they are.
    text = unicodedata.normalize("NFKC", text)
    return _replace_numbers(EXPLICIT_ORDER_NUMBER.sub("TS******", mask_email(text)), _stars)


def mask_entity(entity: object, value: object) -> str:
    """A predicted entity's value as trainers see it."""
    words = str(value)
    if str(entity) in PERSONAL_ENTITIES:
        return _stars(words)
    return mask_personal_data(words)


def replace_personal_data(text: str) -> str:
    """For training data that goes into git: emails and order numbers replaced by placeholders, tracking
    numbers and postcodes by made-up ones of the same shape."""
    return _replace_numbers(EXPLICIT_ORDER_NUMBER.sub(PLACEHOLDER_ORDER, EMAIL.sub(PLACEHOLDER_EMAIL, text)),
                            _stand_in)
