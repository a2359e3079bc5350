"""Measure the anger scorer: false positives on ordinary shopper messages, detection on angry ones."""
import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

from bot.handoff.anger import AngerScorer
from bot.nlu_eval import load_examples
from bot.settings import PROJECT_ROOT
from bot.trainer.paths import ANGER_MARKS

ANGRY_SET = PROJECT_ROOT / "tests" / "handoff" / "angry_messages.txt"
# Complaints are angry by design: they are not "ordinary shopping questions".
NOT_ORDINARY_INTENTS = ("complain",)


def fires(result) -> bool:
    return result.level != "none"


def read_lines(path: Path) -> List[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ordinary_messages(root: Path = PROJECT_ROOT) -> List[str]:
    files = sorted((root / "data" / "nlu").glob("*.yml")) + [root / "tests" / "nlu" / "test_set.yml"]
    return [text for path in files for text, intent in load_examples(path) if intent not in NOT_ORDINARY_INTENTS]


@dataclass
class AngerReport:
    ordinary: int
    false_positives: List[Tuple[str, str]]
    angry: int
    missed: List[str]
    microseconds_per_message: float

    def as_dict(self) -> dict:
        return {
            "ordinary_messages": self.ordinary,
            "false_positive_rate": round(len(self.false_positives) / max(self.ordinary, 1), 4),
            "angry_messages": self.angry,
            "detection_rate": round(1 - len(self.missed) / max(self.angry, 1), 4),
            "ms_per_message": round(self.microseconds_per_message / 1000, 4),
            "false_positives": [{"text": t, "cues": c} for t, c in self.false_positives],
            "missed": self.missed,
        }


def evaluate(scorer: AngerScorer, ordinary: Sequence[str], angry: Sequence[str]) -> AngerReport:
    started = time.perf_counter()
    ordinary_results = [scorer.score(text) for text in ordinary]
    angry_results = [scorer.score(text) for text in angry]
    elapsed = time.perf_counter() - started
    false_positives = [(t, ", ".join(r.cues)) for t, r in zip(ordinary, ordinary_results) if fires(r)]
    missed = [t for t, r in zip(angry, angry_results) if not fires(r)]
    per_message = elapsed / max(len(ordinary) + len(angry), 1) * 1e6
    return AngerReport(len(ordinary), false_positives, len(angry), missed, per_message)


def read_labelled_csv(path: Path) -> Tuple[List[str], List[str]]:
    """A CSV with columns text,angry (1/0): returns (ordinary, angry)."""
    ordinary, angry = [], []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            (angry if str(row.get("angry", "")).strip() in ("1", "true", "yes") else ordinary).append(row["text"])
    return ordinary, angry


def precision_recall(report: AngerReport) -> dict:
    true_positives = report.angry - len(report.missed)
    predicted = true_positives + len(report.false_positives)
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / report.angry if report.angry else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def default_sets(root: Path = PROJECT_ROOT) -> Tuple[List[str], List[str]]:
    """(ordinary, angry): NLU examples and the written angry set, plus the trainers' marks if exported."""
    ordinary, angry = ordinary_messages(root), read_lines(ANGRY_SET)
    marks = root / ANGER_MARKS  # real messages trainers marked angry or not (the workbench's export)
    if marks.is_file():
        calm, upset = read_labelled_csv(marks)
        ordinary, angry = ordinary + calm, angry + upset
    return ordinary, angry
