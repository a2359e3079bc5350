"""Rule-based, explainable anger scoring of shopper messages.

Every cue that fired is reported, so agents and trainers see why a message scored as it did.
The lexicon (lexicons/anger.yml) is data: trainers tune it without touching code.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.settings import PROJECT_ROOT

DEFAULT_LEXICON = PROJECT_ROOT / "lexicons" / "anger.yml"
LEVELS = ("none", "annoyed", "angry", "furious")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_STRETCHED = re.compile(r"([a-z])\1{3,}", re.IGNORECASE)
# Messages longer than this are scored on their start and end: the cues are there, and the cost stays flat.
MAX_SCORED_CHARS = 2000


class LexiconError(Exception):
    pass


@dataclass(frozen=True)
class AngerResult:
    score: float
    level: str
    cues: Tuple[str, ...]

    def as_dict(self) -> dict:
        return {"score": self.score, "level": self.level, "cues": list(self.cues)}


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
# Lexicon phrases also keep "*", the wildcard at the end of a word.
_PHRASE_TOKEN = re.compile(r"[a-z0-9]+\*?(?:'[a-z]+)?|[?!]")


def _tokens(text: str) -> List[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True)
class _Cue:
    label: str
    weight: float
    words: Tuple[str, ...]  # a word ending in "*" matches any word starting with the rest

    def matches_at(self, tokens: List[str], index: int) -> bool:
        if index + len(self.words) > len(tokens):
            return False
        for word, token in zip(self.words, tokens[index:index + len(self.words)]):
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif word != token:
                return False
        return True


class AngerScorer:
    def __init__(self, lexicon: dict):
        try:
            cues = [
                _Cue(f"{group}:{phrase}", float(spec["weight"]), tuple(_PHRASE_TOKEN.findall(str(phrase).lower())))
                for group, spec in lexicon["cues"].items()
                for phrase in spec["phrases"]
            ]
            # Index cues by first word so that a message is scanned once, whatever the lexicon's size.
            self._by_first: Dict[str, List[_Cue]] = {}
            self._by_prefix: List[_Cue] = []
            for cue in cues:
                if cue.words[0].endswith("*"):
                    self._by_prefix.append(cue)
                else:
                    self._by_first.setdefault(cue.words[0], []).append(cue)
            self._negations = tuple(str(n).lower() for n in lexicon["negations"])
            self._intensifiers: Dict[str, float] = {k: float(v) for k, v in lexicon["intensifiers"].items()}
            self._emoji = tuple(lexicon["angry_emoji"])
            self._acronyms = frozenset(str(a).upper() for a in lexicon.get("acronyms", []))
            levels = lexicon["levels"]
            self._thresholds = [(float(levels["furious"]), "furious"), (float(levels["angry"]), "angry"),
                                (float(levels["annoyed"]), "annoyed")]
        except (KeyError, TypeError, ValueError, re.error) as error:
            raise LexiconError(f"anger lexicon is invalid: {error!r}") from None

    @classmethod
    def from_file(cls, path: Optional[Path] = None) -> "AngerScorer":
        path = Path(path or DEFAULT_LEXICON)
        try:
            return cls(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as error:
            raise LexiconError(f"{path}: {error}") from None

    def _negated(self, tokens: List[str], index: int) -> bool:
        return any(word in self._negations or word.endswith("n't") for word in tokens[max(0, index - 2):index])

    def score(self, text: Optional[str]) -> AngerResult:
        text = text or ""
        if len(text) > MAX_SCORED_CHARS:
            text = text[:MAX_SCORED_CHARS // 2] + " " + text[-MAX_SCORED_CHARS // 2:]
        tokens = _tokens(text)
        weights: List[float] = []
        cues: List[str] = []
        for index, token in enumerate(tokens):
            candidates = self._by_first.get(token, [])
            if self._by_prefix:
                candidates = candidates + [c for c in self._by_prefix if token.startswith(c.words[0][:-1])]
            for cue in candidates:
                if cue.label not in cues and cue.matches_at(tokens, index) and not self._negated(tokens, index):
                    weights.append(cue.weight)
                    cues.append(cue.label)
        self._intensify(text, weights, cues)
        remaining = 1.0
        for weight in weights:
            remaining *= 1.0 - min(max(weight, 0.0), 1.0)
        score = round(1.0 - remaining, 3)
        level = next((name for bound, name in self._thresholds if score >= bound), "none")
        return AngerResult(score, level, tuple(cues))

    def _intensify(self, text: str, weights: List[float], cues: List[str]) -> None:
        words = [w for w in _WORD.findall(text) if len(w) >= 3]
        shouted = [w for w in words if w.isupper() and w not in self._acronyms]
        if len(shouted) >= 2 and len(shouted) * 2 > len(words):
            weights.append(self._intensifiers["shouting"])
            cues.append("intensifier:all caps")
        elif shouted:
            weights.append(self._intensifiers["emphasis"])
            cues.append(f"intensifier:{shouted[0]}")
        if "!!" in text:
            weights.append(self._intensifiers["exclamations"])
            cues.append("intensifier:!!")
        if "?!" in text or "!?" in text:
            weights.append(self._intensifiers["question_exclamation"])
            cues.append("intensifier:?!")
        if _STRETCHED.search(text):
            weights.append(self._intensifiers["stretched_letters"])
            cues.append("intensifier:stretched letters")
        found = [e for e in self._emoji if e in text][:2]
        for emoji in found:
            weights.append(self._intensifiers["angry_emoji"])
            cues.append(f"emoji:{emoji}")
