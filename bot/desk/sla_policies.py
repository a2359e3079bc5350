"""The SLA policy file (support/sla.yml): read and checked once, like the knowledge base; a broken file
stops the desk at start with every problem, file and path. The clocks run in the support team's business
hours (knowledge_base/store.yml support.schedule, bot/handoff/hours.py).

Nothing is read at import. `active_rules()` answers the rules in force: the ones a test or tool installed
with `use_rules(...)`, else the project's file and knowledge base, loaded on first use and cached by path."""
import re
import string
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Dict, Iterator, List, Literal, Optional, Tuple

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError, model_validator

from bot.handoff.hours import SupportHours
from bot.settings import PROJECT_ROOT

DEFAULT_FILE = PROJECT_ROOT / "support" / "sla.yml"
FIRST_REPLY, ESCALATION, RESOLUTION, FOLLOW_UP = "first_reply", "escalation", "resolution", "follow_up"
TICKET_CLOCKS = (FIRST_REPLY, ESCALATION, RESOLUTION)
POLICY_NAMES = TICKET_CLOCKS + (FOLLOW_UP,)
UNITS = {"second": 1, "minute": 60, "hour": 3600}
BREACH_PLACEHOLDERS = ("within",)
EMAIL_PLACEHOLDERS = ("shop", "support_email", "ticket")


class SlaPolicyError(Exception):
    """Raised with every problem found in the policy file."""

    def __init__(self, path: Path, problems: List[str]):
        self.problems = problems
        super().__init__(f"{_shown(path)} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def parse_duration(value) -> int:
    """"5 minutes", "1 hour", "90 seconds" -> seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*(second|minute|hour)s?\s*", value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a time such as \"5 minutes\", \"1 hour\" or \"30 seconds\", got {value!r}")
    return int(match.group(1)) * UNITS[match.group(2)]


def duration_words(seconds: int) -> str:
    """5 minutes, 1 hour, 72 hours, 90 seconds."""
    for unit in ("hour", "minute", "second"):
        if seconds % UNITS[unit] == 0:
            count = seconds // UNITS[unit]
            return f"{count} {unit}" + ("" if count == 1 else "s")
    raise AssertionError("unreachable: every whole number of seconds is whole in seconds")


def _placeholders(text: str, allowed: Tuple[str, ...]) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ValueError(f"{error} (write {{{{ and }}}} for a literal brace)") from None
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; use " + ", ".join("{" + a + "}" for a in allowed))
    return text


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Duration = Annotated[int, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Clock(_Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    within: Duration
    warn_before: Duration
    hours: Literal["business", "calendar"] = "business"

    @model_validator(mode="after")
    def _times(self):
        if self.within < 1:
            raise ValueError("within must be at least 1 second")
        if self.warn_before >= self.within:
            raise ValueError("warn_before must be shorter than within")
        return self


class ClockPolicy(_Clock):
    breach: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

    @model_validator(mode="after")
    def _breach_words(self):
        _placeholders(self.breach, BREACH_PLACEHOLDERS)
        return self


class FollowUpEmail(_Strict):
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                              pattern=r"^[^\r\n]*$")]
    body: Text

    @model_validator(mode="after")
    def _words(self):
        _placeholders(self.subject, EMAIL_PLACEHOLDERS)
        _placeholders(self.body, EMAIL_PLACEHOLDERS)
        return self


class FollowUpPolicy(_Clock):
    task: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    email: FollowUpEmail

    @model_validator(mode="after")
    def _task_words(self):
        _placeholders(self.task, BREACH_PLACEHOLDERS)
        return self


class Policies(_Strict):
    first_reply: ClockPolicy
    escalation: ClockPolicy
    resolution: ClockPolicy
    follow_up: FollowUpPolicy


class PolicyFile(_Strict):
    policies: Policies


@dataclass(frozen=True)
class Clock:
    """One policy as the clocks use it."""

    name: str
    label: str
    within: int  # seconds
    warn_before: int  # seconds
    business_hours: bool
    text: str  # what supervisors are told when it runs out (the follow-up: the task's text); {within}

    @property
    def within_words(self) -> str:
        return duration_words(self.within)

    @property
    def words(self) -> str:
        return self.text.format(within=self.within_words)

    def as_json(self) -> dict:
        return {"name": self.name, "label": self.label, "within_seconds": self.within, "within": self.within_words,
                "warn_before_seconds": self.warn_before, "warn_before": duration_words(self.warn_before),
                "hours": "business" if self.business_hours else "calendar", "text": self.words}


@dataclass(frozen=True)
class SlaRules:
    """The policies with the team's hours: when each clock runs out."""

    clocks: Tuple[Clock, ...]
    hours: SupportHours
    shop: str
    support_email: str
    email_subject: str
    email_body: str

    def clock(self, name: str) -> Clock:
        for clock in self.clocks:
            if clock.name == name:
                return clock
        raise KeyError(name)

    def due(self, name: str, start: datetime) -> datetime:
        """When the clock `name` started at `start` (naive UTC) runs out."""
        clock = self.clock(name)
        return _later(self.hours, clock.business_hours, start, clock.within)

    def warn_at(self, name: str, start: datetime) -> datetime:
        """When it turns yellow (due soon)."""
        clock = self.clock(name)
        return _later(self.hours, clock.business_hours, start, clock.within - clock.warn_before)

    def seconds_between(self, name: str, start: datetime, end: datetime) -> int:
        """The clock's own time from `start` to `end`: business seconds, or wall seconds for a calendar clock."""
        if self.clock(name).business_hours:
            return int(self.hours.business_seconds_between(start, end))
        return int((end - start).total_seconds())

    def breach_text(self, name: str) -> str:
        return self.clock(name).words

    def follow_up_email(self, *, ticket_id: int) -> Tuple[str, str]:
        values = {"shop": self.shop, "support_email": self.support_email, "ticket": ticket_id}
        return self.email_subject.format(**values), self.email_body.format(**values)


@lru_cache(maxsize=8192)
def _later(hours: SupportHours, business_hours: bool, start: datetime, seconds: int) -> datetime:
    # Cached: the sweep and every ticket list ask for the same tickets' due times over and over.
    if business_hours:
        return hours.add_business_seconds(start, seconds)
    return start + timedelta(seconds=seconds)


def _location(loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else ("." if i else "") + str(part)
                   for i, part in enumerate(loc))


def _reason(item: dict) -> str:
    message = item["msg"]
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def read_policy_file(path: Path) -> PolicyFile:
    """The policy file, checked; SlaPolicyError with every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SlaPolicyError(path, ["file is missing"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SlaPolicyError(path, [f"{where}not valid YAML ({getattr(error, 'problem', error)})"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SlaPolicyError(path, [f"cannot be read ({error})"]) from None
    if not isinstance(raw, dict):
        raise SlaPolicyError(path, ["expected a mapping with `policies` at the top level"])
    try:
        return PolicyFile.model_validate(raw)
    except ValidationError as error:
        raise SlaPolicyError(path, [f"{_location(item['loc'])}: {_reason(item)}" for item in error.errors()]) from None


@lru_cache(maxsize=8)
def load_policies(path: str) -> PolicyFile:
    """read_policy_file, once per path and process (a changed file is read again after a restart)."""
    return read_policy_file(Path(path))


def build_rules(policies: PolicyFile, *, hours: SupportHours, shop: str, support_email: str) -> SlaRules:
    p = policies.policies
    clocks = tuple(Clock(name, policy.label, policy.within, policy.warn_before, policy.hours == "business",
                         policy.task if name == FOLLOW_UP else policy.breach)
                   for name, policy in ((n, getattr(p, n)) for n in POLICY_NAMES))
    return SlaRules(clocks, hours, shop, support_email, p.follow_up.email.subject, p.follow_up.email.body)


def rules_for_store(policies: PolicyFile, store) -> SlaRules:
    """The rules with the hours, name and address of a knowledge base's store (schema.Store)."""
    return build_rules(policies, hours=store.support.schedule.hours(), shop=store.name,
                       support_email=store.support.email)


@lru_cache(maxsize=4)
def _default_rules(path: str, knowledge_dir: str) -> SlaRules:
    from bot.knowledge import get_knowledge

    # The desk's own knowledge object (cached by get_knowledge for the configured folder, knowledge_dir).
    return rules_for_store(load_policies(path), get_knowledge().kb.store)


def default_rules() -> SlaRules:
    """The configured policy file (SLA_POLICY_FILE, by default support/sla.yml) with the configured
    knowledge base's schedule; raises SlaPolicyError or KnowledgeBaseError for a broken file (the desk
    checks this before it starts)."""
    from bot.settings import get_settings

    settings = get_settings()
    return _default_rules(str(settings.sla_policy_file), str(settings.knowledge_base_dir))


_installed: Optional[SlaRules] = None


def active_rules() -> SlaRules:
    return _installed if _installed is not None else default_rules()


@contextmanager
def use_rules(rules: Optional[SlaRules]) -> Iterator[Optional[SlaRules]]:
    """Within the block, every clock in this process follows `rules` (tests, tools): the inbox and the
    sweep call refresh_clock/clock_json without passing rules. None: the configured files."""
    global _installed
    previous, _installed = _installed, rules
    try:
        yield rules
    finally:
        _installed = previous


def policies_json(rules: SlaRules) -> Dict[str, object]:
    schedule = rules.hours
    return {"policies": [clock.as_json() for clock in rules.clocks],
            "schedule": {"timezone": schedule.timezone, "days": list(schedule.days),
                         "opens": schedule.opens.strftime("%H:%M"),
                         "closes": "24:00" if schedule.closes == time.max else schedule.closes.strftime("%H:%M")}}
