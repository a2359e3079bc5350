"""`make bench` in miniature: every stage of the harness runs and writes its figures and report. Never a
timing: the smoke run's numbers mean nothing."""
import json
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_the_benchmark_harness_runs_end_to_end(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [result_file] = tmp_path.glob("*-smoke.json")
    results = json.loads(result_file.read_text())
    components = results["components"]
    for part in ("knowledge_search", "anger_scoring", "handoff_policy", "order_lookup_sqlite",
                 "order_lookup_postgresql"):
        assert "error" not in components[part], components[part]
    assert components["order_lookup_sqlite"]["orders"] == components["order_lookup_postgresql"]["orders"] == 2000
    ours = results["setups"]["ours"]
    assert [level["shoppers"] for level in ours["load"]] == [1, 3]
    assert all(level["messages"] > 0 and level["errors"] == 0 for level in ours["load"])
    assert ours["accuracy"] > 0 and ours["ready_seconds"] > 0 and ours["rss_mb_under_load"]["rasa"] > 0
    assert ours["turn_cost"]["turns"] == 18 and ours["turn_cost"]["cpu_ms_per_turn"]["rasa"] > 0
    console = results["desk_console"]["sqlite"]
    agents = console["settings"]["agents"]
    assert console["tickets"]["waiting"] + console["tickets"]["assigned"] == console["settings"]["open_tickets"]
    assert console["tracker_events"] > 15 * console["settings"]["open_tickets"]  # ~20 events per conversation
    assert console["streams"]["open_at_start"] == console["streams"]["open_at_end"] == agents
    assert list(console["phases"]) == ["single", "steady", "burst"]
    for name, phase in console["phases"].items():
        assert phase["errors"] == 0 and phase["rasa_unavailable"] == 0, phase["routes"]
        assert all(route["count"] > 0 for route in phase["routes"].values()), phase["routes"]
        for delivered in phase["delivery"].values():  # every new ticket and shopper line reached every console
            assert delivered["reached_all"] if name != "single" else delivered["probes"] == 0, delivered
    folder = tmp_path / result_file.stem
    report = (folder / "report.md").read_text()
    assert "## Targets" in report and "| ours | 3 |" in report
    assert "## The agent console under load" in report and "| steady (" in report
    assert (folder / "load.png").read_bytes()[:4] == b"\x89PNG" and (folder / "components.png").is_file()
