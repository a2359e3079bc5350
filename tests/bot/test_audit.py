"""The dependency audit: OSV range matching, reviewed exceptions, snapshot age, the online check, the
rules of the two environments (none allowed in the application's, reviewed ones in Rasa's), the claims
the Rasa environment's exceptions rest on, and the real audits of both environments."""
import dataclasses
import json
import os
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from bot import audit
from bot.audit import AuditError, Distribution, OnlineResult
from bot.environments import rasa_child_environment, rasa_python
from bot.settings import PROJECT_ROOT

OFFLINE = OnlineResult(False, "switched off")


def write_osv(root: Path, package: str, vuln_id: str, *, events=None, versions=None, aliases=(),
              withdrawn=None, extra_ranges=(), modified="2024-05-01T00:00:00Z") -> Path:
    affected = {"package": {"ecosystem": "PyPI", "name": package}}
    ranges = list(extra_ranges)
    if events is not None:
        ranges.append({"type": "ECOSYSTEM", "events": events})
    if ranges:
        affected["ranges"] = ranges
    if versions is not None:
        affected["versions"] = versions
    doc = {"id": vuln_id, "modified": modified, "aliases": list(aliases), "details": f"{vuln_id} details",
           "affected": [affected]}
    if withdrawn:
        doc["withdrawn"] = withdrawn
    path = root / "pypa" / "vulns" / audit.normalize(package) / f"{vuln_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def write_readme(root: Path, day: str = "2024-10-10") -> None:
    (root / "README.md").write_text(f"Snapshot: commit 3ccb612573e2511ab5cad7dafecd838605c80cda of {day}.\n")


def one_advisory(tmp_path, **kwargs) -> audit.Advisory:
    write_osv(tmp_path, "demo", "PYSEC-1", **kwargs)
    return audit.load_snapshot(tmp_path).advisories["demo"][0]


def affected(advisory: audit.Advisory, version: str) -> bool:
    return advisory.match(version) is not None


# --- ranges -------------------------------------------------------------------------------------


def test_introduced_and_fixed_bound_the_range(tmp_path):
    advisory = one_advisory(tmp_path, events=[{"introduced": "1.0"}, {"fixed": "1.5"}])
    assert [affected(advisory, v) for v in ("0.9", "1.0", "1.4.9", "1.5", "2.0")] == [False, True, True, False, False]
    assert advisory.match("1.2").fixed == ["1.5"]


def test_several_intervals_in_one_range_report_the_fix_of_their_own_interval(tmp_path):
    advisory = one_advisory(tmp_path, events=[{"introduced": "0"}, {"fixed": "1.2"},
                                              {"introduced": "2.0"}, {"fixed": "2.3"}])
    assert affected(advisory, "1.1") and not affected(advisory, "1.5")
    assert advisory.match("2.1").fixed == ["2.3"]
    assert advisory.match("1.0").fixed == ["1.2"]


def test_prereleases_of_the_fix_are_still_affected(tmp_path):
    advisory = one_advisory(tmp_path, events=[{"introduced": "0"}, {"fixed": "2.0"}])
    assert affected(advisory, "2.0rc1")
    assert not affected(advisory, "2.0.post1")


def test_last_affected_includes_that_version_only(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "1.0"}, {"last_affected": "2.0"}])
    snapshot = audit.load_snapshot(tmp_path)
    advisory = snapshot.advisories["demo"][0]
    assert affected(advisory, "2.0") and affected(advisory, "1.0")
    assert not affected(advisory, "2.0.1") and not affected(advisory, "0.9")
    findings, _ = audit.audit([Distribution("demo", "1.5")], snapshot)
    assert findings[0].fixed == ["none (last affected 2.0)"]


def test_open_range_means_no_fix_yet(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}])
    findings, _ = audit.audit([Distribution("demo", "9.9")], audit.load_snapshot(tmp_path))
    assert findings[0].fixed == []


def test_explicit_versions_list_without_ranges(tmp_path):
    advisory = one_advisory(tmp_path, versions=["1.0", "1.1"])
    assert affected(advisory, "1.1")
    assert affected(advisory, "1.1.0")  # the same version, spelt differently
    assert not affected(advisory, "1.2")


def test_git_ranges_are_ignored(tmp_path):
    advisory = one_advisory(tmp_path, extra_ranges=[{"type": "GIT", "repo": "https://example.org/x",
                                                     "events": [{"introduced": "0"}, {"fixed": "abc123"}]}])
    assert not affected(advisory, "1.0")


def test_unparsable_installed_version_is_matched_by_list_only_and_reported(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "9.0"}],
              versions=["2013b-custom"])
    write_osv(tmp_path, "other", "PYSEC-2", events=[{"introduced": "0"}, {"fixed": "9.0"}])
    snapshot = audit.load_snapshot(tmp_path)
    findings, warnings = audit.audit(
        [Distribution("demo", "2013b-custom"), Distribution("other", "nightly-build")], snapshot)
    assert [(f.package, f.id) for f in findings] == [("demo", "PYSEC-1")]
    assert any("other nightly-build" in w and "not a PEP 440" in w for w in warnings)


def test_unparsable_event_version_skips_that_range_without_crashing(tmp_path):
    advisory = one_advisory(tmp_path, events=[{"introduced": "0"}, {"fixed": "not a version"}])
    assert not affected(advisory, "1.0")


def test_withdrawn_advisories_are_ignored(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}], withdrawn="2023-06-06T10:37:00Z")
    assert audit.load_snapshot(tmp_path).advisories == {}


def test_package_names_are_normalized(tmp_path):
    write_osv(tmp_path, "Ruamel.YAML", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "1.0"}])
    findings, _ = audit.audit([Distribution("ruamel_yaml", "0.5")], audit.load_snapshot(tmp_path, {"ruamel-yaml"}))
    assert [f.id for f in findings] == ["PYSEC-1"]


# --- snapshot age and local advisories ----------------------------------------------------------


def test_snapshot_age_in_days_from_its_readme(tmp_path):
    write_readme(tmp_path, "2024-10-10")
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "1.0"}])
    snapshot = audit.load_snapshot(tmp_path)
    assert snapshot.date == date(2024, 10, 10)
    assert snapshot.commit.startswith("3ccb612")
    assert snapshot.age_days(date(2024, 11, 9)) == 30


def test_snapshot_without_readme_is_dated_by_its_newest_advisory(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}], modified="2024-03-02T10:00:00Z")
    write_osv(tmp_path, "demo", "PYSEC-2", events=[{"introduced": "0"}], modified="2024-06-30T10:00:00Z")
    assert audit.load_snapshot(tmp_path).date == date(2024, 6, 30)


def test_missing_snapshot_is_an_error(tmp_path):
    with pytest.raises(AuditError):
        audit.load_snapshot(tmp_path / "nowhere")


def test_local_advisory_known_to_the_snapshot_is_superseded(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["CVE-1"])
    local = tmp_path / "local"
    write_osv(local, "demo", "CVE-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    write_osv(local, "demo", "CVE-2", events=[{"introduced": "0"}, {"fixed": "3.0"}])
    snapshot = audit.add_local_advisories(audit.load_snapshot(tmp_path), local)
    assert sorted(a.id for a in snapshot.advisories["demo"]) == ["CVE-2", "PYSEC-1"]
    assert [a.id for a in snapshot.superseded] == ["CVE-1"]
    findings, _ = audit.audit([Distribution("demo", "1.0")], snapshot)
    assert {(f.id, f.source) for f in findings} == {("PYSEC-1", "snapshot"), ("CVE-2", "local")}


# --- exceptions ---------------------------------------------------------------------------------


def write_exceptions(path: Path, entries) -> Path:
    path.write_text(yaml.safe_dump({"exceptions": entries}), encoding="utf-8")
    return path


def entry(package="demo", advisories=("PYSEC-1",), exposure="not-used"):
    return {"package": package, "advisories": list(advisories), "pinned_by": "rasa pins it",
            "exposure": exposure, "mitigation": "the vulnerable code is not used"}


def reviewed(tmp_path, installed, entries):
    snapshot = audit.load_snapshot(tmp_path)
    findings, _ = audit.audit(installed, snapshot)
    exceptions = audit.load_exceptions(write_exceptions(tmp_path / "exceptions.yml", entries))
    return audit.review(findings, exceptions, snapshot, OFFLINE)


def test_an_exception_covers_an_advisory_by_id_or_alias(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}], aliases=["GHSA-aaaa"])
    outcome = reviewed(tmp_path, [Distribution("demo", "1.0")], [entry(advisories=["GHSA-aaaa"])])
    assert outcome.ok and len(outcome.covered) == 1


def test_an_advisory_without_exception_fails(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    write_osv(tmp_path, "demo", "PYSEC-2", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    outcome = reviewed(tmp_path, [Distribution("demo", "1.0")], [entry(advisories=["PYSEC-1"])])
    assert not outcome.ok
    assert [f.id for f in outcome.uncovered] == ["PYSEC-2"]


def test_an_exception_for_an_upgraded_package_is_stale(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    outcome = reviewed(tmp_path, [Distribution("demo", "2.0")], [entry()])
    assert not outcome.ok
    assert [(e.package, advisory) for e, advisory, _ in outcome.stale] == [("demo", None)]


def test_an_exception_naming_a_fixed_advisory_is_stale(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    write_osv(tmp_path, "demo", "PYSEC-2", events=[{"introduced": "0"}, {"fixed": "1.5"}])
    outcome = reviewed(tmp_path, [Distribution("demo", "1.7")], [entry(advisories=["PYSEC-1", "PYSEC-2"])])
    assert [advisory for _, advisory, _ in outcome.stale] == ["PYSEC-2"]
    assert not outcome.ok


def test_an_exception_id_nobody_can_judge_offline_is_kept_and_noted(tmp_path):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    outcome = reviewed(tmp_path, [Distribution("demo", "1.0")], [entry(advisories=["PYSEC-1", "GHSA-new"])])
    assert outcome.ok
    assert [advisory for _, advisory in outcome.unverifiable] == ["GHSA-new"]


@pytest.mark.parametrize("bad", [
    {"package": "demo", "advisories": [], "pinned_by": "x", "exposure": "not-used", "mitigation": "y"},
    {"package": "demo", "advisories": ["A"], "pinned_by": "", "exposure": "not-used", "mitigation": "y"},
    {"package": "demo", "advisories": ["A"], "pinned_by": "x", "exposure": "fine", "mitigation": "y"},
    {"package": "demo", "advisories": ["A"], "pinned_by": "x", "exposure": "not-used"},
    "demo",
])
def test_malformed_exceptions_are_refused(tmp_path, bad):
    with pytest.raises(AuditError):
        audit.load_exceptions(write_exceptions(tmp_path / "exceptions.yml", [bad]))


# --- the command --------------------------------------------------------------------------------


def run_main(tmp_path, capsys, pins, entries, *extra, environment="rasa"):
    """The command over pins of a lock file; `entries` None: no --exceptions at all."""
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# comment\n" + "".join(f"{p}\n" for p in pins))
    args = ["--environment", environment, "--advisories", str(tmp_path), "--constraints", str(constraints),
            "--local-advisories", str(tmp_path / "no-local"), "--today", "2024-11-09"]
    if entries is not None:
        args += ["--exceptions", str(write_exceptions(tmp_path / "exceptions.yml", entries))]
    code = audit.main([*args, *extra])
    return code, capsys.readouterr().out


def test_command_lists_ids_versions_and_fixes_and_fails_when_uncovered(tmp_path, capsys):
    write_readme(tmp_path)
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}],
              aliases=["CVE-2024-1", "GHSA-aaaa"])
    code, out = run_main(tmp_path, capsys, ["demo==1.0", "safe==1.0"], [], "--offline")
    assert code == 1
    assert "30 days old on 2024-11-09" in out
    assert "demo 1.0" in out and "PYSEC-1 (CVE-2024-1, GHSA-aaaa)" in out and "fixed in: 2.0" in out
    assert "NOT COVERED" in out and "FAIL" in out
    assert "pinned in" in out


def test_command_passes_when_reviewed_and_fails_on_stale(tmp_path, capsys):
    write_readme(tmp_path)
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    code, out = run_main(tmp_path, capsys, ["demo==1.0"], [entry()], "--offline")
    assert code == 0 and "reviewed, not-used" in out
    code, out = run_main(tmp_path, capsys, ["demo==2.0"], [entry()], "--offline")
    assert code == 1 and "stale exception" in out


def test_command_refuses_a_missing_snapshot(tmp_path, capsys):
    code = audit.main(["--advisories", str(tmp_path / "nowhere"), "--offline"])
    assert code == 2
    assert "audit cannot run" in capsys.readouterr().err


# --- the two environments -----------------------------------------------------------------------


def test_the_application_environment_fails_on_any_advisory(tmp_path, capsys):
    write_readme(tmp_path)
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    code, out = run_main(tmp_path, capsys, ["demo==1.0", "safe==1.0"], None, "--offline", environment="app")
    assert code == 1
    assert "the application environment" in out and "none allowed" in out
    assert "NOT COVERED" in out and "which allows no exceptions: upgrade" in out
    code, out = run_main(tmp_path, capsys, ["demo==2.0", "safe==1.0"], None, "--offline", environment="app")
    assert code == 0 and "OK: no known advisory affects the application environment" in out


def test_the_application_environment_takes_no_exceptions_file(tmp_path, capsys):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    exceptions = write_exceptions(tmp_path / "exceptions.yml", [entry()])
    code = audit.main(["--environment", "app", "--advisories", str(tmp_path), "--exceptions", str(exceptions),
                       "--offline"])
    assert code == 2
    assert "allows no exceptions" in capsys.readouterr().err


def test_the_same_finding_is_reviewable_in_the_rasa_environment(tmp_path, capsys):
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    code, out = run_main(tmp_path, capsys, ["demo==1.0"], [entry()], "--offline", environment="rasa")
    assert code == 0 and "the Rasa environment" in out and "reviewed, not-used" in out


def test_an_interpreter_audits_only_its_own_environment(capsys):
    """This interpreter is the application's: auditing its packages under the Rasa rules would judge the
    wrong packages, so it is refused; the environment is judged by whether `rasa` can be imported."""
    assert audit.running_environment() == "app"
    assert audit.main(["--environment", "rasa", "--offline"]) == 2
    assert "is the application environment, not the Rasa environment" in capsys.readouterr().err


def test_constraints_without_a_file_audit_the_environments_lock_file(tmp_path, capsys, monkeypatch):
    write_readme(tmp_path)
    write_osv(tmp_path, "demo", "PYSEC-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    lock = tmp_path / "rasa.lock"
    lock.write_text("# pip freeze\ndemo==1.0\n")
    monkeypatch.setitem(audit.ENVIRONMENTS, "rasa", dataclasses.replace(audit.ENVIRONMENTS["rasa"], lock=lock))
    code = audit.main(["--environment", "rasa", "--constraints", "--advisories", str(tmp_path), "--exceptions",
                       str(write_exceptions(tmp_path / "exceptions.yml", [entry()])), "--local-advisories",
                       str(tmp_path / "no-local"), "--offline"])
    out = capsys.readouterr().out
    assert code == 0 and f"pinned in {lock}" in out and "demo 1.0" in out


# --- the online check, against a local stand-in for OSV's API -----------------------------------


class FakeOsv(BaseHTTPRequestHandler):
    """OSV's querybatch and vulns routes, answering that `demo` 1.0 has GHSA-online."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        results = [{"vulns": [{"id": "GHSA-online"}]} if q["package"]["name"] == "demo" and q["version"] == "1.0"
                   else {} for q in body["queries"]]
        self._send({"results": results})

    def do_GET(self):
        self._send({"id": "GHSA-online", "aliases": ["CVE-2026-9"], "summary": "found online",
                    "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}]})

    def _send(self, payload):
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def osv_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_online_findings_are_added_and_must_be_reviewed(tmp_path, capsys, osv_url):
    write_readme(tmp_path)
    write_osv(tmp_path, "other", "PYSEC-1", events=[{"introduced": "0"}])
    online = audit.check_online([Distribution("demo", "1.0"), Distribution("safe", "1.0")],
                                timeout=5, osv_url=osv_url, use_pip_audit=False)
    assert online.available
    assert online.vulns == {"demo": [("GHSA-online", ("CVE-2026-9",), ["1.1"], "found online")]}
    code, out = run_main(tmp_path, capsys, ["demo==1.0"], [], "--osv-url", osv_url)
    assert code == 1 and "GHSA-online (CVE-2026-9) [online only]" in out and "fixed in: 1.1" in out
    code, out = run_main(tmp_path, capsys, ["demo==1.0"], [entry(advisories=["CVE-2026-9"])], "--osv-url", osv_url)
    assert code == 0


def test_online_check_unavailable_is_reported_without_failing(tmp_path, capsys):
    write_readme(tmp_path)
    write_osv(tmp_path, "other", "PYSEC-1", events=[{"introduced": "0"}])
    closed = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    url = f"http://127.0.0.1:{closed.server_address[1]}"
    closed.server_close()  # nothing listens there any more
    code, out = run_main(tmp_path, capsys, ["demo==1.0"], [], "--osv-url", url, "--timeout", "2")
    assert code == 0
    assert "Online check unavailable" in out and "did not answer" in out


def test_constraints_file_pins_are_read(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("# header\nFoo_Bar==1.2.3\nbaz[extra]==2.0 ; python_version>'3'\nunpinned>=1\n-e .\n")
    assert audit.pinned_distributions(path) == [Distribution("baz", "2.0"), Distribution("Foo_Bar", "1.2.3")]


# --- the claims the Rasa environment's exceptions rest on ------------------------------------------
# security/known-vulnerabilities-rasa.yml. What holds inside the Rasa environment is read there, by its
# own interpreter, once for all the tests below.

RASA_FACTS = r"""
import asyncio, importlib, json, sys
from pathlib import Path

import yaml

root = Path.cwd()
ours = {"bot.rasa_server"}
config = yaml.safe_load((root / "config.yml").read_text())
for step in config["pipeline"] + config["policies"]:
    if "." in step["name"]:
        ours.add(step["name"].rsplit(".", 1)[0])
for name in yaml.safe_load((root / "credentials.yml").read_text()):
    if "." in name:
        ours.add(name.rsplit(".", 1)[0])
for value in yaml.safe_load((root / "endpoints.yml").read_text()).values():
    if isinstance(value, dict) and "." in str(value.get("type", "")):
        ours.add(value["type"].rsplit(".", 1)[0])
for name in sorted(ours) + ["rasa.server", "rasa.core.channels.socketio"]:
    importlib.import_module(name)

from aiohttp import http_parser
import rasa

try:
    import email_validator  # noqa: F401
    email_validator_installed = True
except ImportError:
    email_validator_installed = False


def heartbeat_tasks_after(pongs):
    from bot.rasa_server import answer_only_our_pings
    from tests.rasa.engineio_probe import heartbeat_tasks

    answer_only_our_pings()  # as the Rasa server applies it at start
    return asyncio.run(heartbeat_tasks(pongs, ping_waiting=False))

print(json.dumps({
    "parsers": [http_parser.HttpRequestParser.__module__, http_parser.HttpResponseParser.__module__],
    "email_validator": email_validator_installed,
    "our_modules": sorted(m.__file__ for n, m in sys.modules.items()
                          if n.split(".")[0] in ("bot", "actions") and getattr(m, "__file__", None)),
    "rasa_dir": str(Path(rasa.__file__).parent),
    "heartbeat_tasks_after_50_pongs": heartbeat_tasks_after(50),
}))
"""


def run_in_rasa_environment(*args, timeout=300) -> subprocess.CompletedProcess:
    python = rasa_python()
    assert Path(python).exists(), f"no Rasa environment at {python} (make install builds it)"
    return subprocess.run([python, *args], cwd=PROJECT_ROOT, env=rasa_child_environment(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def rasa_facts() -> dict:
    completed = run_in_rasa_environment("-c", RASA_FACTS)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_aiohttp_in_the_rasa_environment_parses_with_its_c_parser(rasa_facts):
    """The pure-Python parser's smuggling flaws do not apply: requests and responses go through the C one."""
    assert rasa_facts["parsers"] == ["aiohttp._http_parser", "aiohttp._http_parser"]


def test_pydantic_email_validation_cannot_run_in_the_rasa_environment(rasa_facts):
    """pydantic 1.10's slow email pattern needs email-validator."""
    assert rasa_facts["email_validator"] is False


def test_the_rasa_environment_runs_no_aiohttp_server(rasa_facts):
    """aiohttp's web-server flaws: neither Rasa nor the modules of ours that the Rasa server loads use
    aiohttp.web (Rasa's HTTP side is Sanic)."""
    assert any(path.endswith("channels.py") for path in rasa_facts["our_modules"])  # the scan sees real modules
    ours = [path for path in rasa_facts["our_modules"] if "aiohttp" in Path(path).read_text(encoding="utf-8")]
    assert ours == []
    rasa_files = list(Path(rasa_facts["rasa_dir"]).rglob("*.py"))
    assert len(rasa_files) > 100
    servers = [str(path) for path in rasa_files
               if any(word in path.read_text(encoding="utf-8", errors="replace")
                      for word in ("aiohttp.web", "from aiohttp import web"))]
    assert servers == []


def test_the_rasa_servers_http_client_calls_only_the_action_server_without_credentials_in_headers():
    """aiohttp's client flaws: the only endpoint Rasa calls by configuration is our action server; its
    token travels in the URL, not in an Authorization or Cookie header."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    assert not {"nlg", "models", "nlu"} & set(endpoints)  # no NLG server, model server or HTTP NLU
    action = endpoints["action_endpoint"]
    assert action.get("token") and not {"basic_auth", "headers", "cafile"} & set(action)


def test_the_engineio_heartbeat_flood_is_fenced_as_reviewed(rasa_facts):
    """python-engineio < 4.13.2 starts one heartbeat task per PONG (GHSA-cgwc-pv48-fhj5); the entry says
    mitigated because the Rasa server drops PONGs it did not ask for (bot/rasa_server.py,
    answer_only_our_pings). When this fails, that fence is gone: the entry is wrong again."""
    assert rasa_facts["heartbeat_tasks_after_50_pongs"] == 0


def test_pipeline_loads_no_keras_model_and_discards_no_tokens():
    """keras (no TensorFlow component) and scikit-learn (CountVectorsFeaturizer keeps every token, so
    stop_words_ stays empty)."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    names = [step["name"] for step in config["pipeline"] + config["policies"]]
    tensorflow_components = {"DIETClassifier", "TEDPolicy", "UnexpecTEDIntentPolicy", "ResponseSelector",
                             "LanguageModelFeaturizer", "ConveRTFeaturizer", "EntitySynonymMapper_tf"}
    assert not tensorflow_components & set(names)
    for step in config["pipeline"]:
        if step["name"] == "CountVectorsFeaturizer":
            assert not {"min_df", "max_df", "max_features"} & set(step), step


def test_no_socketio_message_queue_is_configured():
    """python-socketio's pickle flaw needs a client manager."""
    sources = [p for folder in ("bot", "actions") for p in (PROJECT_ROOT / folder).rglob("*.py")]
    sources += [PROJECT_ROOT / "credentials.yml", PROJECT_ROOT / "endpoints.yml"]
    users = [str(p) for p in sources if p.name != "audit.py"
             and any(word in p.read_text(encoding="utf-8") for word in ("client_manager", "RedisManager", "KafkaManager",
                                                                     "AsyncAioPikaManager"))]
    assert users == []


# --- the real thing -----------------------------------------------------------------------------
# The snapshot in ../shared/advisories, the local advisories and every package installed in each
# environment, audited by that environment's interpreter (offline: the online answer changes daily).


def test_real_audit_of_the_application_environment_passes_without_exceptions():
    completed = subprocess.run([sys.executable, "-m", "bot.audit", "--environment", "app", "--offline"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "days old on" in completed.stdout
    assert "Vulnerable packages: 0;" in completed.stdout
    assert "OK: no known advisory affects the application environment" in completed.stdout


def test_real_audit_of_the_rasa_environment_passes_with_its_reviewed_exceptions():
    completed = run_in_rasa_environment("-m", "bot.audit", "--environment", "rasa", "--offline", timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Dependency audit of the Rasa environment" in completed.stdout and "installed in" in completed.stdout
    assert "OK: every vulnerable package is upgraded or reviewed in" in completed.stdout
    assert "known-vulnerabilities-rasa.yml" in completed.stdout


@pytest.mark.parametrize("environment", ["app", "rasa"])
def test_the_lock_files_pass_their_environments_audit(environment):
    """What a fresh install would bring (requirements/<environment>.lock), audited from here."""
    completed = subprocess.run([sys.executable, "-m", "bot.audit", "--environment", environment, "--constraints",
                                "--offline"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"requirements/{environment}.lock" in completed.stdout.replace(os.sep, "/")
