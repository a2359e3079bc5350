"""`make evaluate`: the model on the separate test set and on labelled messages it was not trained on,
written as a report (JSON, Markdown, confusion-matrix PNG) with a history across model versions."""
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.nlu_eval import IntentReport, evaluate, load_examples
from bot.plots import pyplot
from bot.trainer.export import training_form
from bot.trainer.inbox import normalized
from bot.trainer.labels import LabelledText

HISTORY = "history.jsonl"


def not_trained_on(labelled: List[LabelledText], *, nlu_dir: Path, test_set: Path) -> List[Tuple[str, str]]:
    """Labelled texts (one agreed intent) that are neither training examples nor in the test set."""
    seen = {normalized(text) for path in nlu_dir.glob("*.yml") for text, _ in load_examples(path)}
    if test_set.is_file():
        seen |= {normalized(text) for text, _ in load_examples(test_set)}
    examples = []
    for item in labelled:
        text = training_form(item.text)
        if item.intent and not item.conflict and normalized(text) not in seen:
            seen.add(normalized(text))
            examples.append((text, item.intent))
    return examples


def _section(report: IntentReport) -> Dict[str, Any]:
    body = report.as_dict()
    intents = sorted({e for e, _ in report.pairs} | {p for _, p in report.pairs})
    body["confusion_matrix"] = {"labels": intents,
                                "counts": [[report.pairs[(e, p)] for p in intents] for e in intents]}
    return body


def confusion_png(section: Dict[str, Any], path: Path, title: str) -> None:
    plt = pyplot()
    labels, counts = section["confusion_matrix"]["labels"], section["confusion_matrix"]["counts"]
    size = max(6, 0.45 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(counts, cmap="Greens")
    axes.set_xticks(range(len(labels)), labels, rotation=90)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    axes.set_title(title)
    for row, values in enumerate(counts):
        for column, value in enumerate(values):
            if value:
                axes.text(column, row, str(value), ha="center", va="center", fontsize=8,
                          color="white" if value > max(map(max, counts)) / 2 else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(report: Dict[str, Any]) -> str:
    lines = [f"# Evaluation of model {report['model']}", "", f"Run at {report['at']}.", ""]
    for name, title in (("test_set", "Held-out test set"), ("labelled", "Labelled messages not trained on")):
        section = report.get(name)
        lines.append(f"## {title}")
        if not section:
            lines += ["", "No examples yet.", ""]
            continue
        lines += ["", f"{section['examples']} examples: accuracy {section['accuracy']:.1%}, "
                      f"macro F1 {section['macro_f1']:.3f}.", "", "| intent | precision | recall | F1 |", "|---|---|---|---|"]
        lines += [f"| {intent} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} |"
                  for intent, v in section["per_intent"].items()]
        lines += ["", "Most confused (expected -> predicted):", ""]
        lines += [f"- {c['expected']} -> {c['predicted']}: {c['count']}" for c in section["confused"]] or ["- none"]
        lines += ["", f"![confusion matrix]({name}_confusion.png)", ""]
    return "\n".join(lines)


def run_evaluation(*, predict: Callable[[str], str], test_set: Path, labelled: List[Tuple[str, str]],
                   reports_dir: Path, model_version: str, now: datetime) -> Dict[str, Any]:
    report: Dict[str, Any] = {"model": model_version, "at": now.isoformat(timespec="seconds") + "Z"}
    report["test_set"] = _section(evaluate(load_examples(test_set), predict))
    report["labelled"] = _section(evaluate(labelled, predict)) if labelled else None
    folder = reports_dir / f"{now.strftime('%Y%m%d-%H%M%S')}-{model_version[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("test_set", "labelled"):
        if report[name]:
            confusion_png(report[name], folder / f"{name}_confusion.png", f"{name.replace('_', ' ')}, model {model_version[:12]}")
    report["folder"] = folder.name
    (folder / "report.json").write_text(json.dumps(report, indent=2))
    (folder / "report.md").write_text(markdown(report))
    summary = {"at": report["at"], "model": model_version, "folder": folder.name,
               "test_accuracy": report["test_set"]["accuracy"], "test_macro_f1": report["test_set"]["macro_f1"],
               "labelled_examples": report["labelled"]["examples"] if report["labelled"] else 0,
               "labelled_accuracy": report["labelled"]["accuracy"] if report["labelled"] else None}
    with (reports_dir / HISTORY).open("a") as history:
        history.write(json.dumps(summary) + "\n")
    return report


def latest_reports(reports_dir: Path) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """The newest report and the trend (one summary per run, oldest first)."""
    history_file = reports_dir / HISTORY
    if not history_file.is_file():
        return None, []
    trend = []
    for line in history_file.read_text().splitlines():
        try:
            trend.append(json.loads(line))
        except ValueError:
            continue
    latest = None
    if trend:
        path = reports_dir / trend[-1]["folder"] / "report.json"
        latest = json.loads(path.read_text()) if path.is_file() else None
    return latest, trend
