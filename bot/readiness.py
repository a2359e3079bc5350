"""Wait until the Rasa server (model loaded) and the action server answer."""
import time
import urllib.error
import urllib.request
from typing import Callable, Optional


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def servers_ready(rasa_url: str, token: str, action_port: int, desk_port: Optional[int] = None) -> bool:
    return (_answers(f"{rasa_url}/status?token={token}")
            and _answers(f"http://127.0.0.1:{action_port}/health")
            and (desk_port is None or _answers(f"http://127.0.0.1:{desk_port}/health")))
