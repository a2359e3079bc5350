"""Answers composed from the knowledge base, specific to what the shopper asked."""
from dataclasses import dataclass, field
from typing import List, Tuple

from bot.knowledge.schema import Product


@dataclass(frozen=True)
class Answer:
    text: str
    # (title, payload) pairs shown as quick replies.
    buttons: Tuple[Tuple[str, str], ...] = field(default_factory=tuple)


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def which_product(intent: str, candidates: Tuple[Product, ...], question: str) -> Answer:
    """Ask the shopper to pick when several products match equally well."""
    buttons = tuple(
        (p.name, f'/{intent}{{"product": "{p.name}"}}') for p in candidates
    )
    names = ", ".join(f"the {p.name}" for p in candidates[:-1]) + f" or the {candidates[-1].name}"
    return Answer(f"Which one do you mean for {question}: {names}?", buttons)


def has_any(words: List[str], *cues: str) -> bool:
    text = " ".join(words)
    return any((" " + cue + " ") in f" {text} " for cue in cues)
