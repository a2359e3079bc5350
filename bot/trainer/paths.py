"""Where the trainers' loop reads and writes, in one place so that the workbench, `python -m bot
export-labels` and `make evaluate` agree (a test points them at a copy)."""
from dataclasses import dataclass
from pathlib import Path
from typing import List

import yaml

from bot.settings import PROJECT_ROOT

# The trainers' angry / not angry marks, relative to a project root (the anger evaluation reads it too).
ANGER_MARKS = Path("lexicons") / "anger_labelled.csv"


@dataclass(frozen=True)
class TrainingPaths:
    nlu_dir: Path = PROJECT_ROOT / "data" / "nlu"
    test_set: Path = PROJECT_ROOT / "tests" / "nlu" / "test_set.yml"
    anger_file: Path = PROJECT_ROOT / ANGER_MARKS
    reports_dir: Path = PROJECT_ROOT / "var" / "reports"
    domain: Path = PROJECT_ROOT / "domain.yml"

    def intents(self) -> List[str]:
        return sorted(yaml.safe_load(self.domain.read_text()).get("intents") or [])
