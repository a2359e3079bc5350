"""How the product is run: secrets come from a generated .env, never from the source; unsafe secrets stop
the servers at start; Rasa's CORS allows only the shop's origins; demo sign-in only when switched on.

Servers here are the real commands (`python -m bot serve-desk`, `serve-rasa`), each on a free port with
a private SQLite database."""
import http.client
import os
import shutil
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, select

from bot.db import Customer, session_scope
from bot.readiness import wait_until
from bot.settings import PROJECT_ROOT, read_env_file
from tests.integration.servers import TOKEN, free_port

SECRETS = ("RASA_TOKEN", "SHOP_IDENTITY_SECRET")
SECRET_MIN_LENGTH = 32  # the documented rule outside development


def command_env(**values: str) -> Dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    env.update(values)
    return env


def init_env(path: Path, environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "init-env", "--path", str(path)], cwd=PROJECT_ROOT,
                          env=command_env(STOREFRONT_ENV=environment), capture_output=True, text=True, timeout=60)


def request(port: int, method: str, path: str, *, headers: Optional[dict] = None, body: Optional[str] = None):
    """One request, redirects not followed; (status, headers, text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def answers(port: int, path: str) -> bool:
    try:
        return request(port, "GET", path)[0] == 200
    except OSError:
        return False


@contextmanager
def running(command, env: Dict[str, str], log: Path, ready: Callable[[], bool]) -> Iterator[subprocess.Popen]:
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "bot", *command], cwd=PROJECT_ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        started = wait_until(lambda: process.poll() is not None or ready(), timeout=240)
        if not started or process.poll() is not None:
            raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture()
def database(tmp_path, sqlite_template) -> str:
    path = tmp_path / "storefront.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# --- .env with random secrets -------------------------------------------------------------------------

def test_first_run_writes_env_with_random_secrets_readable_by_its_owner_only(tmp_path):
    first, second = tmp_path / "one" / ".env", tmp_path / "two" / ".env"
    for path in (first, second):
        path.parent.mkdir()
        assert init_env(path, "development").returncode == 0
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    one, two = read_env_file(first), read_env_file(second)
    for name in SECRETS:
        assert len(one[name]) >= SECRET_MIN_LENGTH
        assert one[name] != two[name]  # random, not a default from the source
    assert len({one[name] for name in SECRETS}) == len(SECRETS)  # each secret its own
    text = first.read_text()
    # The demo sign-in (anyone signs in as any demo customer) stays off until switched on; .env says how.
    assert one["DEMO_SIGN_IN"] == "0"
    comment = text.splitlines()[text.splitlines().index("DEMO_SIGN_IN=0") - 2]
    assert comment.startswith("#") and "demo feature" in comment.lower() and "DEMO_SIGN_IN=1" in comment


def test_values_already_in_env_are_never_overwritten(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# mine\nRASA_TOKEN=my-own-token-of-the-operator-0123456789\nSHOP_IDENTITY_SECRET=\n"
                    "DEMO_SIGN_IN=0\n")
    path.chmod(0o644)
    result = init_env(path, "development")
    assert result.returncode == 0, result.stderr
    values = read_env_file(path)
    assert values["RASA_TOKEN"] == "my-own-token-of-the-operator-0123456789"
    assert len(values["SHOP_IDENTITY_SECRET"]) >= SECRET_MIN_LENGTH  # was empty: filled in where it stood
    assert values["DEMO_SIGN_IN"] == "0"  # switched off on purpose: stays off
    assert path.read_text().startswith("# mine\nRASA_TOKEN=my-own-token")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_text()
    assert init_env(path, "development").returncode == 0
    assert path.read_text() == before


def test_outside_development_the_generated_env_has_no_demo_sign_in(tmp_path):
    path = tmp_path / ".env"
    assert init_env(path, "production").returncode == 0
    values = read_env_file(path)
    assert "DEMO_SIGN_IN" not in values and all(len(values[n]) >= SECRET_MIN_LENGTH for n in SECRETS)


def test_env_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT)
    assert result.returncode == 0


# --- unsafe secrets stop the servers at start ------------------------------------------------------------

def refused(command, env: Dict[str, str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", "bot", *command], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command[0]} started instead of refusing its settings")


@pytest.mark.parametrize("command", [["serve-desk"], ["serve-actions"], ["serve-rasa"]])
@pytest.mark.parametrize("environment", ["production", "test"])
def test_a_short_token_stops_every_server_outside_development(command, environment, database, tmp_path):
    env = command_env(STOREFRONT_ENV=environment, RASA_TOKEN="x", DATABASE_URL=database,
                      DESK_PORT=str(free_port()), ACTION_PORT=str(free_port()), RASA_PORT=str(free_port()))
    result = refused(command + (["--run-dir", str(tmp_path)] if command == ["serve-rasa"] else []), env)
    assert result.returncode != 0
    assert "RASA_TOKEN" in result.stderr and str(SECRET_MIN_LENGTH) in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_a_short_identity_secret(database):
    env = command_env(STOREFRONT_ENV="production", RASA_TOKEN=TOKEN, SHOP_IDENTITY_SECRET="shop-secret",
                      DATABASE_URL=database, DESK_PORT=str(free_port()))
    result = refused(["serve-desk"], env)
    assert result.returncode != 0 and "SHOP_IDENTITY_SECRET" in result.stderr


def test_without_env_even_development_has_no_token_to_start_with(database):
    """The source holds no development token: with none in .env or the environment, the desk refuses to
    start and says how to make one."""
    env = command_env(STOREFRONT_ENV="development", RASA_TOKEN="", DATABASE_URL=database,
                      DESK_PORT=str(free_port()))
    result = refused(["serve-desk"], env)
    assert result.returncode != 0 and "init-env" in result.stderr


# --- Rasa's CORS: the shop's origins only ------------------------------------------------------------------

@pytest.fixture(scope="module")
def rasa_server(tmp_path_factory, sqlite_template):
    """The real Rasa server as the supervisor starts it (serve-rasa), SHOP_ORIGINS left at its default."""
    from bot.training import train_if_changed

    train_if_changed()
    directory = tmp_path_factory.mktemp("cors")
    shutil.copyfile(sqlite_template, directory / "storefront.db")
    rasa_port, desk_port = free_port(), free_port()
    env = command_env(RASA_TOKEN=TOKEN, DATABASE_URL=f"sqlite:///{directory / 'storefront.db'}",
                      RASA_PORT=str(rasa_port), DESK_PORT=str(desk_port), ACTION_PORT=str(free_port()),
                      RASA_URL=f"http://127.0.0.1:{rasa_port}")
    env.pop("SHOP_ORIGINS", None)
    with running(["serve-rasa", "--run-dir", str(directory)], env, directory / "rasa.log",
                 lambda: answers(rasa_port, f"/status?token={TOKEN}")):
        yield rasa_port, desk_port


def test_rasa_grants_cors_only_to_the_shop_origins(rasa_server):
    rasa_port, desk_port = rasa_server
    status = f"/status?token={TOKEN}"
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{desk_port + 1}", "https://localhost"):
        code, headers, _ = request(rasa_port, "GET", status, headers={"Origin": origin})
        assert code == 200 and headers.get("Access-Control-Allow-Origin") is None, origin
        # Nor does a preflight open the way for a write from that page.
        _, headers, _ = request(rasa_port, "OPTIONS", "/conversations/someone/tracker/events",
                                headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        assert headers.get("Access-Control-Allow-Origin") is None, origin
    for origin in (f"http://127.0.0.1:{desk_port}", f"http://localhost:{desk_port}"):
        _, headers, _ = request(rasa_port, "GET", status, headers={"Origin": origin})
        assert headers.get("Access-Control-Allow-Origin") == origin


# --- demo sign-in only when switched on ---------------------------------------------------------------------

def a_demo_customer(database: str) -> str:
    engine = create_engine(database)
    with session_scope(engine) as session:
        email = session.execute(select(Customer.email).limit(1)).scalar_one()
    engine.dispose()
    return email


def sign_in(port: int, email: str):
    return request(port, "POST", "/account/sign-in", body=urlencode({"email": email}),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("environment", ["development", "test"])
def test_demo_sign_in_is_off_unless_switched_on(environment, database, tmp_path):
    port = free_port()
    # DEMO_SIGN_IN empty overrides whatever a developer's .env says: the default is what is tested.
    env = command_env(STOREFRONT_ENV=environment, RASA_TOKEN=TOKEN, DATABASE_URL=database, DESK_PORT=str(port),
                      DEMO_SIGN_IN="")
    email = a_demo_customer(database)
    with running(["serve-desk"], env, tmp_path / "desk.log", lambda: answers(port, "/health")):
        code, headers, _ = sign_in(port, email)
        assert code == 403 and "Set-Cookie" not in headers
        assert 'action="/account/sign-in"' not in request(port, "GET", "/account")[2]


def test_demo_sign_in_works_when_switched_on(database, tmp_path):
    port = free_port()
    env = command_env(STOREFRONT_ENV="development", RASA_TOKEN=TOKEN, DATABASE_URL=database, DESK_PORT=str(port),
                      DEMO_SIGN_IN="1")
    email = a_demo_customer(database)
    with running(["serve-desk"], env, tmp_path / "desk.log", lambda: answers(port, "/health")):
        assert 'action="/account/sign-in"' in request(port, "GET", "/account")[2]
        code, headers, _ = sign_in(port, email)
        assert code == 303 and "Set-Cookie" in headers
