"""Labels back into training data: Rasa NLU YAML in a file of its own under data/nlu/, merged with the
training data already there, plus the anger marks as an evaluation set for the anger scorer."""
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.nlu_eval import load_examples
from bot.orders.masking import mask_personal_data, replace_personal_data
from bot.trainer.inbox import normalized
from bot.trainer.labels import LabelledText

EXPORT_NAME = "labelled.yml"
HEADER = ("# Written by the trainer workbench (Export); edits here are overwritten by the next export.\n"
          "# Emails and order numbers are replaced by placeholders.\n")


@dataclass
class ExportReport:
    exported: int = 0
    duplicates: int = 0
    in_test_set: int = 0
    conflicts: List[Dict[str, object]] = field(default_factory=list)
    angry_marks: int = 0
    path: str = ""

    def as_dict(self) -> Dict[str, object]:
        return {"exported": self.exported, "duplicates_dropped": self.duplicates, "in_test_set": self.in_test_set,
                "conflicts": self.conflicts, "angry_marks": self.angry_marks, "path": self.path}


def training_form(text: str) -> str:
    """One line, personal data replaced, and no square brackets (they mark entities in Rasa's format)."""
    return " ".join(replace_personal_data(text).replace("[", "(").replace("]", ")").split())


def annotate(text: str, entities: List[dict]) -> str:
    """'the alpine parka' + product 'alpine parka' -> 'the [alpine parka](product)' (first occurrence)."""
    for entity in entities:
        # Search only the part after the last annotation so that one value never lands inside another.
        done = text.rfind(")") + 1 if "](" in text else 0
        match = re.search(re.escape(entity["value"]), text[done:], re.IGNORECASE)
        if match:
            start, end = done + match.start(), done + match.end()
            text = f"{text[:start]}[{text[start:end]}]({entity['entity']}){text[end:]}"
    return text


def _existing(nlu_dir: Path) -> Dict[str, str]:
    known: Dict[str, str] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        if path.name != EXPORT_NAME:
            for text, intent in load_examples(path):
                known.setdefault(normalized(text), intent)
    return known


def export_labels(labelled: List[LabelledText], *, nlu_dir: Path, test_set: Path,
                  anger_file: Optional[Path] = None) -> ExportReport:
    existing = _existing(nlu_dir)
    held_out = {normalized(text) for text, _ in load_examples(test_set)} if test_set.is_file() else set()
    report = ExportReport(path=str(nlu_dir / EXPORT_NAME))
    chosen: Dict[str, Tuple[str, str]] = {}  # key -> (intent, annotated text)
    angry: Dict[str, Tuple[str, bool]] = {}
    for item in labelled:
        training_text = training_form(item.text)
        key = normalized(training_text)
        if item.angry is not None:
            angry[key] = (training_text, item.angry)
        if item.conflict:
            report.conflicts.append({"text": mask_personal_data(item.text), "intents": item.conflict,
                                     "why": "trainers disagree"})
            continue
        if item.intent is None:
            continue  # only marked angry or with entities, no intent yet
        if key in held_out:
            report.in_test_set += 1
            continue
        earlier = existing.get(key) or (chosen.get(key) or (None,))[0]
        if earlier == item.intent:
            report.duplicates += 1
            continue
        if earlier is not None:
            report.conflicts.append({"text": mask_personal_data(item.text), "intents": sorted({earlier, item.intent}),
                                     "why": "the training data says otherwise"})
            continue
        chosen[key] = (item.intent, annotate(training_text, item.entities))
    _write_nlu(nlu_dir / EXPORT_NAME, chosen)
    report.exported = len(chosen)
    if anger_file is not None:
        report.angry_marks = _write_anger(anger_file, angry)
    return report


def _write_nlu(path: Path, chosen: Dict[str, Tuple[str, str]]) -> None:
    if not chosen:
        path.unlink(missing_ok=True)  # an empty nlu list is not valid training data
        return
    by_intent: Dict[str, List[str]] = {}
    for intent, text in chosen.values():
        by_intent.setdefault(intent, []).append(text)
    lines = [HEADER + 'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        lines.extend(f"      - {text}" for text in sorted(by_intent[intent], key=str.lower))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_anger(path: Path, angry: Dict[str, Tuple[str, bool]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "angry"])
        for _, (text, mark) in sorted(angry.items()):
            writer.writerow([text, 1 if mark else 0])
    return len(angry)
