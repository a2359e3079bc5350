"""Writes `.env` with random secrets where it lacks them, so that no secret ever comes from the source."""
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import List

from bot.settings import GENERATED_SECRETS, read_env_file

HEADER = """\
# Written by `python -m bot init-env` (make run). Holds secrets: keep it out of version control and
# readable by its owner only. Values here are never overwritten; .env.example lists every setting.
"""
DEMO_SIGN_IN = """\
# Demo feature, off: set DEMO_SIGN_IN=1 to let the demo shop's /account sign anyone in as any customer of
# the demo orders (and see their orders). Never where real customers' orders are (production refuses it).
DEMO_SIGN_IN=0
"""


def new_secret() -> str:
    """64 hex digits (256 random bits): safe in a URL, a shell and a command line (never starts with -)."""
    return secrets.token_hex(32)


def ensure_env_file(path: Path, *, environment: str) -> List[str]:
    """Add each generated secret that is missing or empty; the names written, in order.

    A development .env also gets DEMO_SIGN_IN=0 with a comment saying how to switch the demo sign-in on,
    when it does not set DEMO_SIGN_IN (an explicit value stays). The file is rewritten atomically with mode 0600 whenever something
    is added, and set to 0600 even when nothing is.
    """
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    values = read_env_file(path)
    lines = existing.splitlines()
    added: List[str] = []
    for name in GENERATED_SECRETS:
        if values.get(name):
            continue
        line = f"{name}={new_secret()}"
        # An empty assignment (NAME= copied from .env.example) is filled in where it stands.
        empty = re.compile(rf"^\s*{re.escape(name)}\s*=\s*(['\"]{{2}})?\s*$")
        for index, old in enumerate(lines):
            if empty.match(old):
                lines[index] = line
                break
        else:
            lines.append(line)
        added.append(name)
    if environment == "development" and "DEMO_SIGN_IN" not in values:
        lines.extend(DEMO_SIGN_IN.splitlines())
        added.append("DEMO_SIGN_IN")
    if not added:
        if path.is_file():
            os.chmod(path, 0o600)
        return added
    text = ("" if existing else HEADER) + "\n".join(lines).lstrip("\n") + "\n"
    _write_private(path, text)
    return added


def _write_private(path: Path, text: str) -> None:
    """Never readable by others, not even for an instant, and never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".env.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
