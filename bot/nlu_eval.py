"""Intent accuracy of a model on a labelled test set (Rasa NLU YAML), through a server's /model/parse."""
import json
import re
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def load_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU YAML file; entity annotations are stripped."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    examples = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((_ANNOTATION.sub(r"\1", line[2:].strip()), block["intent"]))
    return examples


@dataclass
class IntentReport:
    total: int
    correct: int
    seconds_per_message: float
    confusions: Counter = field(default_factory=Counter)
    per_intent: Dict[str, Dict[str, float]] = field(default_factory=dict)
    # (expected, predicted) -> count, correct predictions included: the confusion matrix.
    pairs: Counter = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def macro_f1(self) -> float:
        scores = [v["f1"] for v in self.per_intent.values()]
        return sum(scores) / len(scores) if scores else 0.0

    def as_dict(self) -> dict:
        return {
            "examples": self.total, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
            "ms_per_message": round(self.seconds_per_message * 1000, 2),
            "confused": [{"expected": e, "predicted": p, "count": c} for (e, p), c in self.confusions.most_common(10)],
            "per_intent": self.per_intent,
        }


def evaluate(examples: List[Tuple[str, str]], predict: Callable[[str], str]) -> IntentReport:
    confusions: Counter = Counter()
    pairs: Counter = Counter()
    counts = Counter()  # (intent, "tp"|"fp"|"fn")
    correct = 0
    started = time.perf_counter()
    for text, expected in examples:
        predicted = predict(text)
        pairs[(expected, predicted)] += 1
        if predicted == expected:
            correct += 1
            counts[(expected, "tp")] += 1
        else:
            confusions[(expected, predicted)] += 1
            counts[(expected, "fn")] += 1
            counts[(predicted, "fp")] += 1
    elapsed = time.perf_counter() - started
    per_intent = {}
    for intent in sorted({e for _, e in examples}):
        tp, fp, fn = counts[(intent, "tp")], counts[(intent, "fp")], counts[(intent, "fn")]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return IntentReport(len(examples), correct, elapsed / max(len(examples), 1), confusions, per_intent, pairs)


def load_csv_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a CSV file with columns text,intent; raises ValueError naming bad rows."""
    import csv

    examples, problems = [], []
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "intent"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: needs the columns text,intent")
        line = 1
        for row in reader:
            text, intent = (row.get("text") or "").strip(), (row.get("intent") or "").strip()
            if text and intent:
                examples.append((text, intent))
            else:
                problems.append(line + 1)
            line = reader.line_num
    if problems:
        raise ValueError(f"{path}: rows without text or intent on line(s) {', '.join(map(str, problems[:20]))}")
    return examples


def model_predictor(model_path: Path) -> Callable[[str], str]:
    """Parses with a trained model file, no server needed (the model takes a few seconds to load)."""
    parse = model_parser(model_path)
    return lambda text: (parse(text).get("intent") or {}).get("name") or "nlu_fallback"


def model_parser(model_path: Path) -> Callable[[str], dict]:
    """Rasa's parse of a text by the model file: in this process inside the Rasa environment, else in a
    child process in that environment (the application environment cannot import Rasa)."""
    from bot.environments import in_rasa_environment

    if in_rasa_environment():
        return _parser_in_this_process(model_path)
    return RasaEnvironmentParser(model_path)


def _parser_in_this_process(model_path: Path) -> Callable[[str], dict]:
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level to standard output, where the figures go.
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


class RasaEnvironmentParser:
    """The model loaded once by `python -m bot.nlu_eval parse MODEL` in the Rasa environment: one JSON
    line per text in, one parse result per line out."""

    def __init__(self, model_path: Path) -> None:
        import atexit
        import subprocess

        from bot.environments import rasa_child_environment, require_rasa_python
        from bot.settings import PROJECT_ROOT

        self._process = subprocess.Popen([require_rasa_python(), "-m", "bot.nlu_eval", "parse", str(model_path)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         encoding="utf-8", cwd=PROJECT_ROOT, env=rasa_child_environment())
        atexit.register(self.close)

    def __call__(self, text: str) -> dict:
        try:
            self._process.stdin.write(json.dumps(text) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise OSError(f"the Rasa environment's parser stopped (exit status {self._process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        import subprocess

        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self._process.kill()


def _plain(value):
    """numpy numbers (the confidences) as plain ones, anything else as text."""
    return value.item() if hasattr(value, "item") else str(value)


def _serve_parses(model_path: Path) -> int:
    """The child of RasaEnvironmentParser. Results go to the original standard output; anything Rasa
    or TensorFlow print goes to standard error instead, so it cannot be mistaken for a result."""
    import os
    import sys

    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    parse = _parser_in_this_process(model_path)
    for line in sys.stdin:
        results.write(json.dumps(parse(json.loads(line)), default=_plain) + "\n")
        results.flush()
    return 0


def server_predictor(rasa_url: str, token: str) -> Callable[[str], str]:
    def predict(text: str) -> str:
        request = urllib.request.Request(f"{rasa_url}/model/parse?token={token}",
                                         data=json.dumps({"text": text}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return (json.load(response).get("intent") or {}).get("name") or "nlu_fallback"
    return predict


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "parse":
        sys.exit(_serve_parses(Path(sys.argv[2])))
    sys.exit("usage: python -m bot.nlu_eval parse MODEL_FILE (in the Rasa environment)")
