"""Keep personal data out of replies and logs."""
import logging
import re

from bot.orders.numbers import EMAIL, EXPLICIT_ORDER_NUMBER

_EMAIL = re.compile(r"([a-z0-9._%+'-])([a-z0-9._%+'-]*)@([a-z0-9-])([a-z0-9.-]*)(\.[a-z]{2,})", re.IGNORECASE)


def mask_email(text: str) -> str:
    """'jane.doe@example.com' -> 'j***@e***.com', anywhere in the text."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(3)}***{m.group(5)}", text)


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


def mask_personal_data(text: str) -> str:
    """For people who need the wording, not the shopper (trainers): emails and order numbers masked."""
    return EXPLICIT_ORDER_NUMBER.sub("TS******", mask_email(text))


def replace_personal_data(text: str) -> str:
    """For training data that goes into git: emails and order numbers replaced by placeholders."""
    return EXPLICIT_ORDER_NUMBER.sub(PLACEHOLDER_ORDER, EMAIL.sub(PLACEHOLDER_EMAIL, text))
