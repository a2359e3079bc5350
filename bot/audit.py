"""Dependency audit: every distribution of one of the project's two Python environments against
Python security advisories.

    python -m bot.audit [--environment app|rasa] [--constraints [FILE]] [--exceptions FILE]
                        [--advisories DIR] [--offline] [--timeout SECONDS] [--today YYYY-MM-DD]

The project runs two environments (bot/environments.py), and each is audited by its own interpreter:
`.venv/bin/python -m bot.audit --environment app` and `.venv-rasa/bin/python -m bot.audit --environment
rasa`. Without --environment the interpreter decides: one that can import `rasa` is the Rasa
environment. With --constraints the pins of a lock file are audited instead of what is installed
(the environment's requirements/<name>.lock when no FILE is given), from any interpreter.

The advisories come first from a dated snapshot of the PyPA advisory database on disk (OSV YAML files,
one per advisory, under `vulns/<package>/`), because the build machines reach no advisory service,
plus our own OSV files in security/advisories/ for what the snapshot lacks. The audit says how old the
snapshot is. Where the network allows it also asks OSV (through `pip-audit` when that is on the PATH,
else OSV's HTTP API) with a short timeout and reports both answers.

The application environment allows no exceptions: any advisory that affects it fails the audit, and
the package is upgraded (requirements/app.in). In the Rasa environment, where Rasa 3.6 pins old
versions, every vulnerable package must be listed in the reviewed exceptions
(security/known-vulnerabilities-rasa.yml) with the advisories it covers, what pins the package and how
the Rasa server is exposed. The audit exits non-zero when a vulnerable package or advisory is not
covered, or when an exception covers something that no longer applies (so the list cannot rot into a
blanket waiver).
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import yaml
from packaging.version import InvalidVersion, Version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADVISORIES = PROJECT_ROOT.parent / "shared" / "advisories"
SECURITY = PROJECT_ROOT / "security"
# Advisories the snapshot lacks (published after it, or only in GitHub's database), in the same format.
DEFAULT_LOCAL_ADVISORIES = SECURITY / "advisories"
OSV_URL = "https://api.osv.dev"
EXPOSURES = ("not-used", "mitigated", "exploitable")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Environment:
    """One of the project's Python environments, as the audit sees it."""

    name: str
    title: str
    # The reviewed exceptions it may have; None: none at all, every advisory fails the audit.
    exceptions: Optional[Path]
    # Exact versions of everything it installs (`--constraints` without a file).
    lock: Path


ENVIRONMENTS: Dict[str, Environment] = {
    "app": Environment("app", "the application environment", None, PROJECT_ROOT / "requirements" / "app.lock"),
    "rasa": Environment("rasa", "the Rasa environment", SECURITY / "known-vulnerabilities-rasa.yml",
                        PROJECT_ROOT / "requirements" / "rasa.lock"),
}


def running_environment() -> str:
    """The environment of this interpreter: the Rasa one holds `rasa`, the application one does not."""
    return "rasa" if importlib.util.find_spec("rasa") is not None else "app"


class AuditError(Exception):
    """The audit cannot run (no snapshot, malformed exceptions file): exit status 2."""


def normalize(name: str) -> str:
    """PEP 503 name: `PyYAML`, `ruamel.yaml` and `typing_extensions` as the index spells them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_version(text: object) -> Optional[Version]:
    """A PEP 440 version, or None. packaging<22 (which Rasa pins) would hand back a LegacyVersion
    from `parse`, and those sort before every real version, so ranges could not be judged: refuse."""
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


# ---------------------------------------------------------------------------------------------
# Advisories


@dataclass
class Advisory:
    id: str
    aliases: Tuple[str, ...]
    package: str  # normalized
    summary: str
    # The `affected` entries of this package: each a dict with `ranges` and `versions`.
    affected: List[dict]
    path: Optional[Path] = None
    origin: str = "snapshot"  # or "local": security/advisories/

    @property
    def ids(self) -> Set[str]:
        return {self.id, *self.aliases}

    def match(self, installed: str) -> Optional["Match"]:
        """Whether `installed` is affected; with the fixed versions of the ranges that contain it.

        OSV semantics: a version is affected when it is listed in `versions` or lies in an ECOSYSTEM
        range; in a range, events sorted by version switch the state: `introduced` on, `fixed` off at
        that version, `last_affected` off after it, `limit` ends the range. GIT ranges (commits) are
        ignored: the installed distribution has a version, not a commit.
        """
        version = parse_version(installed)
        fixed: Set[str] = set()
        last_affected: Set[str] = set()
        hit = False
        notes: List[str] = []
        for entry in self.affected:
            listed = [str(v) for v in entry.get("versions") or []]
            if installed in listed or (
                version is not None and any(parse_version(v) == version for v in listed)
            ):
                hit = True
            for range_ in _as_list(entry.get("ranges")):
                if not isinstance(range_, dict) or range_.get("type") not in ("ECOSYSTEM", "SEMVER"):
                    continue
                if version is None:
                    notes.append(f"version {installed!r} is not PEP 440: ranges not compared")
                    continue
                outcome = _in_range(version, range_.get("events") or [])
                if outcome is None:
                    notes.append("a range with an unparsable version was skipped")
                    continue
                inside, range_fixed, range_last = outcome
                if inside:
                    hit = True
                    fixed.update(range_fixed)
                    last_affected.update(range_last)
        if not hit:
            return None
        return Match(self, installed, sorted(fixed, key=_version_key), sorted(last_affected, key=_version_key), notes)


def _as_list(value) -> list:
    # A few old advisories hold one range as a mapping instead of a list of them.
    if isinstance(value, dict):
        return [value]
    return value if isinstance(value, list) else []


def _version_key(text: str):
    parsed = parse_version(text)
    return (0, parsed, "") if parsed is not None else (1, Version("0"), text)


_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def _in_range(version: Version, events: Sequence[Mapping]) -> Optional[Tuple[bool, List[str], List[str]]]:
    """(affected, fixed versions above `version`, last_affected versions at or above it); None when
    an event's version cannot be parsed."""
    parsed = []
    for event in events:
        for kind, value in event.items():
            if kind not in _ORDER:
                continue
            if kind == "introduced" and str(value) == "0":
                point = None  # before every version
            else:
                point = parse_version(value)
                if point is None:
                    return None
            parsed.append((point, kind, str(value)))
    parsed.sort(key=lambda e: (e[0] is not None, e[0] or Version("0"), _ORDER[e[1]]))
    affected = False
    for point, kind, _ in parsed:
        if kind == "introduced" and (point is None or version >= point):
            affected = True
        elif kind == "fixed" and version >= point:
            affected = False
        elif kind == "last_affected" and version > point:
            affected = False
        elif kind == "limit" and version >= point:
            affected = False
            break
    if not affected:
        return False, [], []
    fixed = [value for point, kind, value in parsed if kind == "fixed" and point > version]
    last = [value for point, kind, value in parsed if kind == "last_affected" and point >= version]
    # The next fix is the one that closes the interval the version is in.
    return True, fixed[:1], ([] if fixed else last[:1])


@dataclass
class Match:
    advisory: Advisory
    installed: str
    fixed: List[str]
    last_affected: List[str]
    notes: List[str]


@dataclass
class Snapshot:
    root: Path
    commit: Optional[str]
    date: Optional[date]
    # normalized package name -> every advisory of that package in the snapshot
    advisories: Dict[str, List[Advisory]]
    # local advisories dropped because the snapshot now has them (by id or alias)
    superseded: List[Advisory] = field(default_factory=list)
    local_count: int = 0

    def age_days(self, today: date) -> Optional[int]:
        return None if self.date is None else (today - self.date).days

    def known_ids(self, package: str) -> Set[str]:
        return {i for advisory in self.advisories.get(package, []) for i in advisory.ids}


_SNAPSHOT_LINE = re.compile(r"commit\s+([0-9a-f]{7,40})\s+of\s+(\d{4}-\d{2}-\d{2})", re.I)


def _vulns_dir(root: Path) -> Path:
    for candidate in (root / "pypa" / "vulns", root / "vulns"):
        if candidate.is_dir():
            return candidate
    raise AuditError(f"no advisory database at {root} (expected pypa/vulns/<package>/*.yaml)")


def load_snapshot(root: Path, packages: Optional[Iterable[str]] = None) -> Snapshot:
    """Read the advisories of `packages` (normalized names; None: all) from the snapshot at `root`.

    The date comes from the README next to the database ("commit <sha> of YYYY-MM-DD"); without it,
    the newest `modified` among the advisories read stands in (a lower bound of the real date)."""
    root = Path(root)
    vulns = _vulns_dir(root)
    wanted = None if packages is None else {normalize(p) for p in packages}
    advisories: Dict[str, List[Advisory]] = {}
    newest: Optional[date] = None
    for folder in sorted(vulns.iterdir()):
        if not folder.is_dir() or (wanted is not None and normalize(folder.name) not in wanted):
            continue
        for path in sorted(folder.glob("*.y*ml")):
            for advisory, modified in _read_advisory(path):
                advisories.setdefault(advisory.package, []).append(advisory)
                if modified and (newest is None or modified > newest):
                    newest = modified
    commit, when = None, None
    readme = root / "README.md"
    if readme.is_file():
        found = _SNAPSHOT_LINE.search(readme.read_text(encoding="utf-8"))
        if found:
            commit, when = found.group(1), date.fromisoformat(found.group(2))
    return Snapshot(root=root, commit=commit, date=when or newest, advisories=advisories)


def add_local_advisories(snapshot: Snapshot, folder: Optional[Path]) -> Snapshot:
    """Layer our own OSV files over the snapshot; one the snapshot already knows is dropped (and
    reported, so the file can be deleted)."""
    if folder is None or not Path(folder).is_dir():
        return snapshot
    for path in sorted(Path(folder).rglob("*.y*ml")):
        for advisory, _ in _read_advisory(path):
            advisory.origin = "local"
            snapshot.local_count += 1
            known = snapshot.known_ids(advisory.package)
            if advisory.ids & known:
                snapshot.superseded.append(advisory)
                continue
            snapshot.advisories.setdefault(advisory.package, []).append(advisory)
    return snapshot


def _read_advisory(path: Path) -> List[Tuple[Advisory, Optional[date]]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise AuditError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict) or "id" not in data or data.get("withdrawn"):
        return []
    modified = data.get("modified")
    modified_date = None
    if hasattr(modified, "date"):
        modified_date = modified.date()
    elif isinstance(modified, str) and re.match(r"\d{4}-\d{2}-\d{2}", modified):
        modified_date = date.fromisoformat(modified[:10])
    by_package: Dict[str, List[dict]] = {}
    for entry in _as_list(data.get("affected")):
        package = entry.get("package") or {}
        if package.get("ecosystem", "PyPI") != "PyPI" or not package.get("name"):
            continue
        by_package.setdefault(normalize(package["name"]), []).append(entry)
    summary = str(data.get("summary") or data.get("details") or "").strip()
    return [
        (
            Advisory(
                id=str(data["id"]),
                aliases=tuple(str(a) for a in data.get("aliases") or []),
                package=package,
                summary=" ".join(summary.split()),
                affected=entries,
                path=path,
            ),
            modified_date,
        )
        for package, entries in by_package.items()
    ]


# ---------------------------------------------------------------------------------------------
# What is installed


@dataclass(frozen=True)
class Distribution:
    name: str  # as the distribution spells it
    version: str

    @property
    def key(self) -> str:
        return normalize(self.name)


def installed_distributions() -> List[Distribution]:
    """Every distribution importable by this interpreter (first on sys.path wins, as for imports)."""
    seen: Dict[str, Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        seen.setdefault(normalize(name), Distribution(name, dist.version))
    return sorted(seen.values(), key=lambda d: d.key)


def pinned_distributions(path: Path) -> List[Distribution]:
    """`name==version` lines of a constraints file (comments, options and unpinned lines skipped)."""
    found: Dict[str, Distribution] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        matched = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*([^\s;]+)", line)
        if matched:
            found[normalize(matched.group(1))] = Distribution(matched.group(1), matched.group(3))
    return sorted(found.values(), key=lambda d: d.key)


# ---------------------------------------------------------------------------------------------
# Findings


@dataclass
class Finding:
    """One advisory that affects one installed distribution."""

    package: str  # normalized
    name: str
    installed: str
    id: str
    aliases: Tuple[str, ...]
    fixed: List[str]
    summary: str = ""
    source: str = "snapshot"  # "snapshot", "local", "online", or "+online" appended when confirmed
    notes: List[str] = field(default_factory=list)

    @property
    def ids(self) -> Set[str]:
        return {self.id, *self.aliases}


def audit(distributions: Sequence[Distribution], snapshot: Snapshot) -> Tuple[List[Finding], List[str]]:
    """Findings from the snapshot, and warnings (versions that could not be compared)."""
    findings: List[Finding] = []
    warnings: List[str] = []
    for dist in distributions:
        for advisory in snapshot.advisories.get(dist.key, []):
            match = advisory.match(dist.version)
            if match is None:
                if parse_version(dist.version) is None:
                    warnings.append(
                        f"{dist.name} {dist.version}: not a PEP 440 version, compared with "
                        f"{advisory.id}'s explicit version list only"
                    )
                continue
            fixed = match.fixed or [f"none (last affected {v})" for v in match.last_affected]
            findings.append(
                Finding(
                    package=dist.key,
                    name=dist.name,
                    installed=dist.version,
                    id=advisory.id,
                    aliases=advisory.aliases,
                    fixed=fixed,
                    summary=advisory.summary,
                    source="local" if advisory.origin == "local" else "snapshot",
                    notes=match.notes,
                )
            )
    return findings, sorted(set(warnings))


# ---------------------------------------------------------------------------------------------
# Online check


@dataclass
class OnlineResult:
    available: bool
    how: str  # "pip-audit", "OSV API" or why neither answered
    # normalized package -> [(id, aliases, fixed versions, summary)]
    vulns: Dict[str, List[Tuple[str, Tuple[str, ...], List[str], str]]] = field(default_factory=dict)


def check_online(
    distributions: Sequence[Distribution],
    *,
    timeout: float,
    osv_url: str = OSV_URL,
    use_pip_audit: bool = True,
) -> OnlineResult:
    """Ask pip-audit (when on the PATH) or OSV's HTTP API; never raises, never waits past `timeout`
    per request."""
    reasons = []
    if use_pip_audit and shutil.which("pip-audit"):
        result = _pip_audit(distributions, timeout=timeout)
        if result.available:
            return result
        reasons.append(result.how)
    result = _osv_api(distributions, timeout=timeout, osv_url=osv_url)
    if result.available:
        return result
    reasons.append(result.how)
    return OnlineResult(False, "; ".join(reasons))


def _pip_audit(distributions: Sequence[Distribution], *, timeout: float) -> OnlineResult:
    # Exact pins without dependency resolution: pip-audit needs no virtualenv of its own and audits
    # exactly the versions found here.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pins:
        pins.write("".join(f"{d.name}=={d.version}\n" for d in distributions))
    try:
        completed = subprocess.run(
            ["pip-audit", "--requirement", pins.name, "--no-deps", "--disable-pip",
             "--format", "json", "--progress-spinner", "off"],
            capture_output=True, text=True, timeout=max(timeout * 6, 30),
        )
        report = json.loads(completed.stdout or "null")
    except (subprocess.TimeoutExpired, OSError, ValueError) as error:
        return OnlineResult(False, f"pip-audit failed ({type(error).__name__})")
    finally:
        os.unlink(pins.name)
    if not isinstance(report, dict) or "dependencies" not in report:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return OnlineResult(False, f"pip-audit did not answer ({last[:160]})")
    vulns: Dict[str, list] = {}
    for dependency in report["dependencies"]:
        for vuln in dependency.get("vulns") or []:
            vulns.setdefault(normalize(dependency["name"]), []).append(
                (vuln["id"], tuple(vuln.get("aliases") or []), list(vuln.get("fix_versions") or []),
                 " ".join(str(vuln.get("description") or "").split())[:200])
            )
    return OnlineResult(True, "pip-audit", vulns)


def _post_json(url: str, body: object, timeout: float) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def _get_json(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def _osv_api(distributions: Sequence[Distribution], *, timeout: float, osv_url: str) -> OnlineResult:
    queries = [{"package": {"name": d.name, "ecosystem": "PyPI"}, "version": d.version} for d in distributions]
    try:
        answer = _post_json(f"{osv_url}/v1/querybatch", {"queries": queries}, timeout)
        results = answer["results"]
        if len(results) != len(queries):
            raise ValueError("answer does not match the queries")
        vulns: Dict[str, list] = {}
        details: Dict[str, dict] = {}
        for dist, result in zip(distributions, results):
            for vuln in (result or {}).get("vulns") or []:
                vuln_id = vuln["id"]
                if vuln_id not in details:
                    details[vuln_id] = _get_json(f"{osv_url}/v1/vulns/{vuln_id}", timeout)
                detail = details[vuln_id]
                fixed = sorted(
                    {
                        str(event["fixed"])
                        for entry in detail.get("affected") or []
                        if normalize((entry.get("package") or {}).get("name", "")) == dist.key
                        for range_ in entry.get("ranges") or []
                        if range_.get("type") == "ECOSYSTEM"
                        for event in range_.get("events") or []
                        if "fixed" in event
                    },
                    key=_version_key,
                )
                summary = " ".join(str(detail.get("summary") or detail.get("details") or "").split())
                vulns.setdefault(dist.key, []).append(
                    (vuln_id, tuple(detail.get("aliases") or []), fixed, summary[:200])
                )
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as error:
        reason = getattr(error, "reason", None) or error
        return OnlineResult(False, f"OSV API at {osv_url} did not answer ({reason})")
    return OnlineResult(True, f"OSV API at {osv_url}", vulns)


def merge_online(findings: List[Finding], online: OnlineResult, distributions: Sequence[Distribution]) -> List[Finding]:
    """Snapshot findings marked as confirmed online, plus what only the online source knows."""
    if not online.available:
        return findings
    by_key = {d.key: d for d in distributions}
    merged = list(findings)
    for package, vulns in online.vulns.items():
        for vuln_id, aliases, fixed, summary in vulns:
            ids = {vuln_id, *aliases}
            same = [f for f in merged if f.package == package and f.ids & ids]
            if same:
                for finding in same:
                    if not finding.source.endswith("+online"):
                        finding.source += "+online"
                continue
            dist = by_key.get(package)
            merged.append(
                Finding(
                    package=package,
                    name=dist.name if dist else package,
                    installed=dist.version if dist else "?",
                    id=vuln_id,
                    aliases=aliases,
                    fixed=fixed,
                    summary=summary,
                    source="online",
                )
            )
    return merged


# ---------------------------------------------------------------------------------------------
# Reviewed exceptions


@dataclass
class Exception_:
    package: str  # normalized
    advisories: List[str]
    pinned_by: str
    exposure: str
    mitigation: str
    line: int = 0


def load_exceptions(path: Optional[Path]) -> List[Exception_]:
    """The reviewed exceptions of a file; none for no file (the application environment) or a file that
    does not exist (then every finding fails, which is the safe side)."""
    if path is None:
        return []
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except yaml.YAMLError as error:
        raise AuditError(f"{path}: not valid YAML ({error})") from None
    entries = data.get("exceptions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AuditError(f"{path}: expected a mapping with an `exceptions` list")
    found = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: exception {number}"
        if not isinstance(entry, dict):
            raise AuditError(f"{where}: expected a mapping")
        for key in ("package", "pinned_by", "exposure", "mitigation"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise AuditError(f"{where}: `{key}` must be a non-empty text")
        advisories = entry.get("advisories")
        if not isinstance(advisories, list) or not advisories or not all(isinstance(a, str) for a in advisories):
            raise AuditError(f"{where} ({entry['package']}): `advisories` must be a list of advisory ids")
        if entry["exposure"] not in EXPOSURES:
            raise AuditError(f"{where} ({entry['package']}): `exposure` must be one of {', '.join(EXPOSURES)}")
        found.append(
            Exception_(
                package=normalize(entry["package"]),
                advisories=[a.strip() for a in advisories],
                pinned_by=" ".join(entry["pinned_by"].split()),
                exposure=entry["exposure"],
                mitigation=" ".join(entry["mitigation"].split()),
                line=number,
            )
        )
    return found


@dataclass
class Review:
    covered: List[Tuple[Finding, Exception_]]
    uncovered: List[Finding]
    # (exception, advisory id or None for the whole entry, why it is stale)
    stale: List[Tuple[Exception_, Optional[str], str]]
    # exception ids that neither the snapshot nor an online answer can judge
    unverifiable: List[Tuple[Exception_, str]]

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.stale


def review(findings: Sequence[Finding], exceptions: Sequence[Exception_], snapshot: Snapshot, online: OnlineResult) -> Review:
    covered, uncovered = [], []
    for finding in findings:
        exception = next(
            (e for e in exceptions if e.package == finding.package and finding.ids & set(e.advisories)), None
        )
        if exception is None:
            uncovered.append(finding)
        else:
            covered.append((finding, exception))
    stale, unverifiable = [], []
    for exception in exceptions:
        current = [f for f in findings if f.package == exception.package]
        if not current:
            stale.append((exception, None, "the package is no longer vulnerable (or no longer installed)"))
            continue
        current_ids = {i for f in current for i in f.ids}
        known = snapshot.known_ids(exception.package)
        for advisory in exception.advisories:
            if advisory in current_ids:
                continue
            if advisory in known or online.available:
                stale.append((exception, advisory, "does not affect the installed version"))
            else:
                unverifiable.append((exception, advisory))
    return Review(covered, uncovered, stale, unverifiable)


# ---------------------------------------------------------------------------------------------
# Report


def _ids_text(finding: Finding) -> str:
    aliases = sorted(a for a in finding.aliases if a != finding.id)
    return finding.id + (f" ({', '.join(aliases)})" if aliases else "")


def report(
    *,
    source: str,
    distributions: Sequence[Distribution],
    snapshot: Snapshot,
    today: date,
    online: OnlineResult,
    outcome: Review,
    warnings: Sequence[str],
    exceptions_path: Optional[Path],
    environment: Optional[Environment] = None,
) -> str:
    """The printed report; `exceptions_path` None means that the environment allows no exceptions."""
    lines = []
    age = snapshot.age_days(today)
    dated = f"dated {snapshot.date.isoformat()}, {age} days old on {today.isoformat()}" if age is not None else "undated"
    commit = f" at commit {snapshot.commit[:12]}" if snapshot.commit else ""
    of = f"{environment.title}: " if environment else ""
    lines.append(f"Dependency audit of {of}{len(distributions)} distributions ({source})")
    if exceptions_path is None:
        lines.append("Reviewed exceptions: none allowed; every advisory that affects a package fails the audit.")
    else:
        lines.append(f"Reviewed exceptions: {exceptions_path}")
    lines.append(f"Advisories: PyPA advisory database snapshot{commit} in {snapshot.root}, {dated};")
    lines.append("  it knows nothing published after that date.")
    if snapshot.local_count:
        lines.append(f"Local advisories: {snapshot.local_count} reviewed files the snapshot lacks (marked [local]).")
    if online.available:
        lines.append(f"Online check: {online.how} answered.")
    else:
        lines.append(f"Online check unavailable: {online.how}. Only the files on disk were consulted.")
    findings = [f for f, _ in outcome.covered] + outcome.uncovered
    packages = sorted({f.package for f in findings})
    from_snapshot = sum(1 for f in findings if f.source.startswith("snapshot"))
    lines.append(f"Vulnerable packages: {len(packages)}; advisories: {len(findings)} "
                 f"({from_snapshot} from the snapshot, {len(findings) - from_snapshot} from local files or online).")
    for package in packages:
        group = [f for f in findings if f.package == package]
        lines.append("")
        lines.append(f"{group[0].name} {group[0].installed}")
        for finding in sorted(group, key=lambda f: f.id):
            exception = next((e for f, e in outcome.covered if f is finding), None)
            status = (
                f"reviewed, {exception.exposure} (exception {exception.line})" if exception else "NOT COVERED"
            )
            fixed = ", ".join(finding.fixed) if finding.fixed else "no fixed version known"
            online_note = {
                "online": " [online only]", "snapshot+online": " [confirmed online]",
                "local": " [local]", "local+online": " [local, confirmed online]",
            }.get(finding.source, "")
            lines.append(f"  {_ids_text(finding)}{online_note}")
            lines.append(f"      fixed in: {fixed}; {status}")
    if warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in warnings)
    for advisory in snapshot.superseded:
        lines.append(f"note: {advisory.path} is in the snapshot now; the local file can go")
    for exception, advisory in outcome.unverifiable:
        lines.append(f"note: exception {exception.line} ({exception.package}) names {advisory}, which the "
                     "snapshot does not know and no online source confirmed; kept")
    lines.append("")
    if outcome.uncovered and exceptions_path is None:
        lines.append(f"FAIL: {len(outcome.uncovered)} advisories affect {_where(environment)}, which allows no "
                     "exceptions: upgrade the package to a fixed version.")
    elif outcome.uncovered:
        lines.append(f"FAIL: {len(outcome.uncovered)} advisories not covered by {exceptions_path}: "
                     "upgrade the package or review it there.")
    for exception, advisory, why in outcome.stale:
        what = advisory or "the whole entry"
        lines.append(f"FAIL: stale exception {exception.line} ({exception.package}, {what}): {why}; remove it.")
    if outcome.ok and exceptions_path is None:
        lines.append(f"OK: no known advisory affects {_where(environment)}.")
    elif outcome.ok:
        lines.append(f"OK: every vulnerable package is upgraded or reviewed in {exceptions_path}.")
    return "\n".join(lines)


def _where(environment: Optional[Environment]) -> str:
    return environment.title if environment else "these packages"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--environment", choices=sorted(ENVIRONMENTS),
                        help="which environment this is: app (.venv) or rasa (.venv-rasa) "
                             "[judged from the interpreter: rasa when it can import rasa]")
    parser.add_argument("--advisories", type=Path, default=Path(os.environ.get("ADVISORY_DB", DEFAULT_ADVISORIES)),
                        help="folder of the PyPA advisory database snapshot [%(default)s]")
    parser.add_argument("--exceptions", type=Path,
                        help="reviewed exceptions of the Rasa environment [security/known-vulnerabilities-rasa.yml]; "
                             "the application environment takes none")
    parser.add_argument("--local-advisories", type=Path, default=DEFAULT_LOCAL_ADVISORIES,
                        help="our own OSV files for advisories the snapshot lacks [%(default)s]")
    parser.add_argument("--constraints", type=Path, nargs="?", const=True, metavar="FILE",
                        help="audit the pins of FILE (without FILE: the environment's requirements/<name>.lock) "
                             "instead of the running interpreter's packages")
    parser.add_argument("--offline", action="store_true", help="do not ask pip-audit or OSV")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per online request [%(default)s]")
    parser.add_argument("--osv-url", default=os.environ.get("OSV_URL", OSV_URL), help=argparse.SUPPRESS)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    today = args.today or date.today()
    running = running_environment()
    environment = ENVIRONMENTS[args.environment or running]
    if environment.exceptions is None and args.exceptions is not None:
        print(f"audit cannot run: {environment.title} allows no exceptions (--exceptions); upgrade instead",
              file=sys.stderr)
        return 2
    if not args.constraints and environment.name != running:
        # Auditing one environment's packages against the other's rules would pass or fail for nothing.
        print(f"audit cannot run: this interpreter ({sys.executable}) is {ENVIRONMENTS[running].title}, not "
              f"{environment.title}; run the audit with that environment's python, or use --constraints",
              file=sys.stderr)
        return 2
    exceptions_path = args.exceptions or environment.exceptions
    try:
        if args.constraints:
            constraints = environment.lock if args.constraints is True else args.constraints
            distributions = pinned_distributions(constraints)
            source = f"pinned in {constraints}"
        else:
            distributions = installed_distributions()
            source = f"installed in {sys.prefix}"
        exceptions = load_exceptions(exceptions_path)
        snapshot = load_snapshot(args.advisories, {d.key for d in distributions} | {e.package for e in exceptions})
        snapshot = add_local_advisories(snapshot, args.local_advisories)
    except (AuditError, OSError) as error:
        print(f"audit cannot run: {error}", file=sys.stderr)
        return 2
    findings, warnings = audit(distributions, snapshot)
    online = (
        OnlineResult(False, "switched off (--offline)")
        if args.offline
        else check_online(distributions, timeout=args.timeout, osv_url=args.osv_url)
    )
    findings = merge_online(findings, online, distributions)
    outcome = review(findings, exceptions, snapshot, online)
    print(report(source=source, distributions=distributions, snapshot=snapshot, today=today, online=online,
                 outcome=outcome, warnings=warnings, exceptions_path=exceptions_path, environment=environment))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
