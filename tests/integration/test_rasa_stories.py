"""`rasa test core` on tests/stories/ against the running action server, and `rasa data validate`: Rasa's
own commands, in the Rasa environment."""
import subprocess

import pytest
import yaml

from bot.environments import rasa_python
from bot.settings import PROJECT_ROOT
from bot.training import model_path

pytestmark = pytest.mark.integration


def test_training_data_validates():
    result = subprocess.run([rasa_python(), "-m", "rasa", "data", "validate", "--fail-on-warnings"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_stories_pass(servers, tmp_path):
    out = tmp_path / "results"
    result = subprocess.run(
        [rasa_python(), "-m", "rasa", "test", "core", "--stories", str(PROJECT_ROOT / "tests" / "stories"),
         "--model", str(model_path(PROJECT_ROOT / "models")), "--endpoints", str(servers.log_dir / "endpoints.yml"),
         "--out", str(out), "--fail-on-prediction-errors"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, env=servers.env, timeout=600)
    failed = out / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] or (result.stdout[-3000:] + result.stderr[-3000:])
    stories = yaml.safe_load((PROJECT_ROOT / "tests" / "stories" / "test_stories.yml").read_text())["stories"]
    assert len(stories) >= 10
