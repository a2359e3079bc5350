"""When to hand a conversation to a person: decided from the shopper's turns in the current session.

Pure functions over plain data, so that the rules can be tested without Rasa; the Rasa policy
(bot/handoff/policy.py) only turns a tracker into turns and a reason into an action.
"""
import enum
import re
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from typing import FrozenSet, Optional, Sequence, Tuple

from rapidfuzz import fuzz

ANGRY_LEVELS = ("angry", "furious")
NOT_UNDERSTOOD_INTENTS = ("nlu_fallback", "out_of_scope")
DEFAULT_EXCLUDED_INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
                            "nlu_fallback", "out_of_scope")


class HandoffReason(str, enum.Enum):
    repeated = "repeated"
    anger = "anger"
    requested = "requested"
    verification = "verification"
    late_order = "late_order"


@dataclass(frozen=True)
class Turn:
    """One shopper message, as the policy sees it."""

    text: str
    intent: Optional[str]
    anger_level: str = "none"
    # Answers to the assistant's own questions (order number, email...) are not questions asked again.
    answering_form: bool = False


@dataclass(frozen=True)
class Thresholds:
    repeats: int = 3
    similarity: float = 90.0
    not_understood: int = 3
    excluded_intents: Tuple[str, ...] = field(default=DEFAULT_EXCLUDED_INTENTS)


_NORMALISE = re.compile(r"[^a-z0-9 ]+")
_MARKUP = re.compile(r"<[^>]*>|https?://\S+")
_WORD = re.compile(r"[^\W\d_]+")
COMMON_WORDS_FILE = Path(__file__).resolve().parents[2] / "lexicons" / "common_words.txt"


@lru_cache(maxsize=1)
def common_words() -> FrozenSet[str]:
    lines = COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.lower().split())


def is_junk(text: str) -> bool:
    """No words to understand: no letters, a single letter, only markup and links, or keyboard mashing
    (not one word of lexicons/common_words.txt). Not understanding such messages is no reason to call a
    person: a script's noise must not fill the queue."""
    plain = _MARKUP.sub(" ", text or "")
    if sum(1 for character in plain if character.isalpha()) < 2:
        return True
    words = {word.lower() for word in _WORD.findall(plain.replace("'", ""))}
    return not words & common_words()


def _normalised(text: str) -> str:
    return " ".join(_NORMALISE.sub(" ", text.lower()).split())


def repeated(turns: Sequence[Turn], thresholds: Thresholds) -> bool:
    """The latest turn is the n-th asking of the same thing: same intent, near-identical text, or
    the n-th consecutive message the assistant could not understand."""
    latest = turns[-1]
    asked = [t for t in turns if not t.answering_form]
    if latest.answering_form or not asked:
        return False
    if len(turns) >= thresholds.not_understood and all(
            t.intent in NOT_UNDERSTOOD_INTENTS and not is_junk(t.text) for t in turns[-thresholds.not_understood:]):
        return True
    if latest.intent and latest.intent not in thresholds.excluded_intents:
        if sum(1 for t in asked if t.intent == latest.intent) >= thresholds.repeats:
            return True
    text = _normalised(latest.text)
    if len(text) < 4:
        return False
    similar = sum(1 for t in asked if fuzz.ratio(_normalised(t.text), text) >= thresholds.similarity)
    return similar >= thresholds.repeats


def decide(turns: Sequence[Turn], thresholds: Thresholds = Thresholds()) -> Optional[HandoffReason]:
    """The reason to hand off now, or None to let the assistant answer."""
    if not turns:
        return None
    latest = turns[-1]
    if latest.intent == "request_human" and not latest.answering_form:
        return HandoffReason.requested
    if latest.anger_level == "furious":
        return HandoffReason.anger
    if latest.anger_level == "angry" and len(turns) >= 2 and turns[-2].anger_level in ANGRY_LEVELS:
        return HandoffReason.anger
    if repeated(turns, thresholds):
        return HandoffReason.repeated
    return None
