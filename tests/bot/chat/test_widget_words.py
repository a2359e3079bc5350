"""The widget's entry quick replies, as the assistant knows them: the titles the widget shows in each of its
languages (core.js, read through Node) are the ones the transcript may show for their payloads."""
import json
import shutil
import subprocess

import pytest

from bot.chat.limits import ENTRY_BUTTONS
from bot.settings import PROJECT_ROOT

CORE = PROJECT_ROOT / "bot" / "desk" / "static" / "widget" / "core.js"
QUICK_REPLIES = {"/order_status": "quickOrder", "/ask_return_policy": "quickReturns", "/ask_shipping": "quickShipping",
                 "/ask_sizing": "quickSizing"}


def widget_words() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the widget's tests need Node.js (Debian: apt-get install nodejs)")
    script = f"process.stdout.write(JSON.stringify(require({json.dumps(str(CORE))}).STRINGS))"
    return json.loads(subprocess.run([node, "-e", script], capture_output=True, check=True, text=True).stdout)


def test_every_language_of_the_widget_has_its_entry_titles_known():
    words = widget_words()
    assert set(QUICK_REPLIES) == set(ENTRY_BUTTONS)
    for payload, key in QUICK_REPLIES.items():
        assert {words[language][key] for language in words} == set(ENTRY_BUTTONS[payload]), payload
