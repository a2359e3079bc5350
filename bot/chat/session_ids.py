"""The widget's conversation ids: the Rasa server's socket.io channel hands them out and the desk's
read-back routes accept only them. Pure: importable from both environments."""
import re
import secrets

# The widget names its sessions "web-" and 32 random hex digits. Only such ids can be read back over
# the public history route, so conversations from other channels (REST senders pick their own,
# guessable ids) never are; knowing a widget id is what lets a browser take part in that chat anyway.
WIDGET_SESSION = re.compile(r"web-[0-9a-f]{32}")


def is_widget_session(value: str) -> bool:
    return bool(WIDGET_SESSION.fullmatch(value or ""))


def new_widget_session() -> str:
    return f"web-{secrets.token_hex(16)}"
