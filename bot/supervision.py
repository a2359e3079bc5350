"""The supervisord configuration that keeps the three servers running, rendered from the settings.

supervisord (the `supervisor` package, pinned in requirements/app.lock) starts each server in its own
process group, restarts any that exits, and on stop sends TERM to the whole group (KILL after a grace
period), so that no child outlives its server. The servers read their secrets from `.env` and the
environment themselves: none is written into this file.
"""
import shlex
from pathlib import Path
from typing import Dict, List, NamedTuple

from bot.settings import PROJECT_ROOT, Settings


class Program(NamedTuple):
    name: str
    arguments: List[str]
    # Seconds a server must stay up to count as started; a server that dies sooner is retried
    # with a growing delay and given up (FATAL) after `startretries`, so a broken setup does not spin.
    startsecs: int


def programs(settings: Settings, *, run_dir: Path) -> List[Program]:
    return [
        Program("actions", ["serve-actions", "--port", str(settings.action_port)], 5),
        Program("rasa", ["serve-rasa", "--port", str(settings.rasa_port), "--run-dir", str(run_dir)], 10),
        Program("desk", ["serve-desk", "--port", str(settings.desk_port)], 3),
    ]


def _value(text: str) -> str:
    # supervisord expands %(name)s in values: a literal % is written twice.
    return text.replace("%", "%%")


def _command(arguments: List[str]) -> str:
    return _value(" ".join(shlex.quote(a) for a in arguments))


def supervisor_config(settings: Settings, *, python: str, run_dir: Path, log_dir: Path) -> str:
    run_dir, log_dir = Path(run_dir).resolve(), Path(log_dir).resolve()
    environment: Dict[str, str] = {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    env_line = ",".join(f'{key}="{_value(value)}"' for key, value in environment.items())
    socket = run_dir / "supervisor.sock"
    sections = [
        "; Rendered by `python -m bot supervisor-config` from the settings; render again after changing them.",
        "[supervisord]",
        f"logfile = {_value(str(log_dir / 'supervisord.log'))}",
        "logfile_maxbytes = 10MB",
        "logfile_backups = 5",
        f"pidfile = {_value(str(run_dir / 'supervisord.pid'))}",
        f"childlogdir = {_value(str(log_dir))}",
        f"directory = {_value(str(PROJECT_ROOT))}",
        "umask = 077",
        "strip_ansi = true",
        "",
        "; supervisorctl talks to supervisord over this socket, which only its owner may open.",
        "[unix_http_server]",
        f"file = {_value(str(socket))}",
        "chmod = 0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl = unix://{_value(str(socket))}",
        "",
    ]
    for priority, program in enumerate(programs(settings, run_dir=run_dir), start=1):
        sections += [
            f"[program:{program.name}]",
            f"command = {_command([python, '-m', 'bot', *program.arguments])}",
            f"directory = {_value(str(PROJECT_ROOT))}",
            f"environment = {env_line}",
            f"priority = {priority * 100}",
            "autostart = true",
            "autorestart = true",
            f"startsecs = {program.startsecs}",
            "startretries = 5",
            "stopsignal = TERM",
            "stopwaitsecs = 20",
            "stopasgroup = true",
            "killasgroup = true",
            "redirect_stderr = true",
            f"stdout_logfile = {_value(str(log_dir / (program.name + '.log')))}",
            "stdout_logfile_maxbytes = 10MB",
            "stdout_logfile_backups = 5",
            "",
        ]
    return "\n".join(sections)
