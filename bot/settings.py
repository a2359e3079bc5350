"""One settings object, read from the environment (and `.env`), checked when it is built.

No secret has a default in the source: `python -m bot init-env` (which `make run` calls) writes random
ones into `.env`. Outside development a token or secret shorter than SECRET_MIN_LENGTH stops every
command at start.
"""
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT_ROOT / ".env"
ENVIRONMENTS = ("development", "test", "production")
SECRET_MIN_LENGTH = 32
# The secrets `init-env` generates when .env lacks them; a new secret setting is added here too.
GENERATED_SECRETS = ("RASA_TOKEN", "SHOP_IDENTITY_SECRET")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class SettingsError(Exception):
    pass


def read_env_file(path: Path) -> Dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; quotes around values stripped."""
    values: Dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{name} must be between 1 and 65535, got {port}")
    return port


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def _origins(raw: str) -> Tuple[str, ...]:
    """Exact origins (scheme://host[:port]); Rasa's CORS layer would read `*`, `?` or `]` as a pattern."""
    origins = []
    for item in (part.strip().rstrip("/") for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if (parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query
                or parts.fragment or "@" in parts.netloc or any(c in item for c in "*?\\]")):
            raise SettingsError(f"SHOP_ORIGINS must list origins such as https://shop.example.com, got {item!r}")
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return tuple(dict.fromkeys(origins))


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _smtp_url(raw: str) -> str:
    raw = raw.strip()
    if raw and (urlsplit(raw).scheme not in ("smtp", "smtps", "smtp+starttls") or not urlsplit(raw).hostname):
        raise SettingsError("SMTP_URL must look like smtp://host:25, smtp+starttls://user:pw@host:587 or "
                            "smtps://user:pw@host:465")
    return raw


def _check_secret(env: Mapping[str, str], name: str, environment: str, *, required: bool) -> str:
    value = env.get(name, "")
    if environment == "development":
        return value
    if not value and not required:
        return value
    if len(value) < SECRET_MIN_LENGTH:
        state = "is not set" if not value else f"is only {len(value)} characters long"
        raise SettingsError(
            f"{name} {state}; in {environment} it must be a random value of at least {SECRET_MIN_LENGTH} "
            f"characters (python -m bot init-env writes one into .env)")
    return value


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    knowledge_base_dir: Path
    rasa_port: int
    action_port: int
    desk_port: int
    # Empty only in development before `init-env` ran; the servers refuse to start without it.
    rasa_token: str
    rasa_url: str
    # The Rasa address as the shopper's browser reaches it (the widget connects there).
    rasa_public_url: str
    # Shared with the shop to sign logged-in customers' identities; empty: identities are ignored.
    identity_secret: str
    rasa_host: str = "127.0.0.1"
    # Browser origins allowed to call Rasa (its CORS list); by default the desk's own pages.
    shop_origins: Tuple[str, ...] = ()
    # The demo shop's /account signs anyone in as any demo customer: only when switched on.
    demo_sign_in: bool = False
    # Where one-time codes are mailed: smtp://[user:password@]host[:port], smtp+starttls://... or smtps://...
    # Empty outside production: mails are written to var/outbox/ instead (bot/mail.py).
    smtp_url: str = ""
    mail_from: str = "assistant@localhost"
    # Behind a balancer that sets this header to the client's address (and overwrites any the client sent):
    # the limits per client count that address. Empty: the peer address, which a client cannot choose.
    client_ip_header: str = ""
    # Files the servers keep (the photos shoppers send, under attachments/); DATA_DIR, by default var/.
    data_dir: Path = PROJECT_ROOT / "var"
    # Photos are refused (503) while the attachments folder's disk has less free than this.
    photo_min_free_mb: int = 1024
    # What one address may have stored in photos within an hour, besides the counts.
    photo_mb_per_client: int = 100
    # The time a photo's body may take to arrive (408 after): a 10 MB photo on a slow phone line.
    photo_upload_seconds: int = 60
    # The console's automatic assignment: new waiting tickets go round robin to available agents who hold
    # fewer than agent_open_limit open conversations (bot/desk/assignment.py). Off: agents claim.
    auto_assign: bool = False
    agent_open_limit: int = 5
    # The SLA policies (bot/desk/sla_policies.py) and how often each desk process sweeps the clocks.
    sla_policy_file: Path = PROJECT_ROOT / "support" / "sla.yml"
    sla_sweep_seconds: int = 5

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def action_token(self) -> str:
        """What the Rasa server shows the action server, derived from RASA_TOKEN so that both sides know it
        without another secret to configure; empty while RASA_TOKEN is (the servers refuse to start)."""
        if not self.rasa_token:
            return ""
        return hmac.new(self.rasa_token.encode(), b"storefront action server", hashlib.sha256).hexdigest()

    def require_rasa_token(self) -> str:
        """For the commands that talk to Rasa or start it: Rasa with an empty token has no authentication."""
        if not self.rasa_token:
            raise SettingsError("RASA_TOKEN is not set: run `python -m bot init-env` (make run does) to write "
                                ".env with random secrets, or set it in the environment")
        return self.rasa_token

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        if env is None:
            env = {**read_env_file(ENV_FILE), **os.environ}
        environment = env.get("STOREFRONT_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"STOREFRONT_ENV must be development, production or test, got {environment!r}")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'storefront.db'}"
        token = _check_secret(env, "RASA_TOKEN", environment, required=True)
        identity_secret = _check_secret(env, "SHOP_IDENTITY_SECRET", environment, required=False)
        rasa_port = _port(env, "RASA_PORT", 5005)
        desk_port = _port(env, "DESK_PORT", 8000)
        demo_sign_in = _flag(env, "DEMO_SIGN_IN")
        if demo_sign_in and environment == "production":
            raise SettingsError("DEMO_SIGN_IN lets anyone sign in as any customer; it cannot be on in production")
        shop_origins = _origins(env.get("SHOP_ORIGINS", "")) or (f"http://127.0.0.1:{desk_port}",
                                                                  f"http://localhost:{desk_port}")
        rasa_url = env.get("RASA_URL", f"http://127.0.0.1:{rasa_port}")
        return cls(
            environment=environment,
            database_url=database_url,
            knowledge_base_dir=Path(env.get("KNOWLEDGE_BASE_DIR", PROJECT_ROOT / "knowledge_base")),
            rasa_port=rasa_port,
            action_port=_port(env, "ACTION_PORT", 5055),
            desk_port=desk_port,
            rasa_token=token,
            rasa_url=rasa_url,
            rasa_public_url=env.get("RASA_PUBLIC_URL", rasa_url).rstrip("/"),
            identity_secret=identity_secret,
            rasa_host=env.get("RASA_HOST", "127.0.0.1"),
            shop_origins=shop_origins,
            demo_sign_in=demo_sign_in,
            smtp_url=_smtp_url(env.get("SMTP_URL", "")),
            mail_from=env.get("MAIL_FROM", "assistant@localhost"),
            client_ip_header=env.get("CLIENT_IP_HEADER", "").strip(),
            data_dir=Path(env.get("DATA_DIR") or PROJECT_ROOT / "var"),
            photo_min_free_mb=_positive(env, "PHOTO_MIN_FREE_MB", 1024),
            photo_mb_per_client=_positive(env, "PHOTO_MB_PER_CLIENT", 100),
            photo_upload_seconds=_positive(env, "PHOTO_UPLOAD_SECONDS", 60),
            auto_assign=_flag(env, "AUTO_ASSIGN"),
            agent_open_limit=_positive(env, "AGENT_OPEN_LIMIT", 5),
            sla_policy_file=PROJECT_ROOT / (env.get("SLA_POLICY_FILE") or "support/sla.yml"),
            sla_sweep_seconds=_positive(env, "SLA_SWEEP_SECONDS", 5),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
