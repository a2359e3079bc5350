"""Train the Rasa model only when its inputs changed since the last model; training runs in the Rasa
environment, whichever environment asks for it."""
import hashlib
import subprocess
from pathlib import Path
from typing import Iterable, List, Optional

from bot.environments import rasa_child_environment, require_rasa_python
from bot.settings import PROJECT_ROOT

MODEL_NAME = "storefront"


def training_inputs(root: Path) -> List[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files += sorted(p for p in (root / "data").rglob("*.yml") if p.is_file())
    return files


def fingerprint(files: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def model_path(models_dir: Path) -> Path:
    return models_dir / f"{MODEL_NAME}.tar.gz"


def train_if_changed(root: Path = PROJECT_ROOT, models_dir: Optional[Path] = None, force: bool = False) -> bool:
    """Returns True when a model was trained, False when the existing one is current."""
    models_dir = models_dir or root / "models"
    stamp = models_dir / f"{MODEL_NAME}.fingerprint"
    current = fingerprint(training_inputs(root), root)
    if not force and model_path(models_dir).is_file() and stamp.is_file() and stamp.read_text() == current:
        print(f"model is up to date: {model_path(models_dir)}")
        return False
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [require_rasa_python(), "-m", "rasa", "train", "--config", str(root / "config.yml"),
               "--domain", str(root / "domain.yml"), "--data", str(root / "data"),
               "--out", str(models_dir), "--fixed-model-name", MODEL_NAME]
    subprocess.run(command, cwd=root, env=rasa_child_environment(), check=True)
    stamp.write_text(current)
    return True
