"""One settings object, read from the environment (and `.env`), checked when it is built."""
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_TOKEN = "dev-token-change-me"
# Signs demo customers' identities outside production; a shop sets its own SHOP_IDENTITY_SECRET.
DEVELOPMENT_IDENTITY_SECRET = "dev-identity-secret-change-me"


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


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    knowledge_base_dir: Path
    rasa_port: int
    action_port: int
    desk_port: int
    rasa_token: str
    rasa_url: str
    # The Rasa address as the shopper's browser reaches it (the widget connects there).
    rasa_public_url: str
    # Shared with the shop to sign logged-in customers' identities; empty: identities are ignored.
    identity_secret: str

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        if env is None:
            env = {**read_env_file(PROJECT_ROOT / ".env"), **os.environ}
        environment = env.get("STOREFRONT_ENV", "development")
        if environment not in ("development", "production", "test"):
            raise SettingsError(f"STOREFRONT_ENV must be development, production or test, got {environment!r}")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'storefront.db'}"
        token = env.get("RASA_TOKEN", "")
        if environment == "production" and (not token or token == DEVELOPMENT_TOKEN):
            raise SettingsError("RASA_TOKEN must be set to a secret value in production")
        rasa_port = _port(env, "RASA_PORT", 5005)
        identity_secret = env.get("SHOP_IDENTITY_SECRET", "")
        if environment == "production" and identity_secret == DEVELOPMENT_IDENTITY_SECRET:
            raise SettingsError("SHOP_IDENTITY_SECRET must not be the development secret in production")
        if not identity_secret and environment != "production":
            identity_secret = DEVELOPMENT_IDENTITY_SECRET
        rasa_url = env.get("RASA_URL", f"http://127.0.0.1:{rasa_port}")
        return cls(
            environment=environment,
            database_url=database_url,
            knowledge_base_dir=Path(env.get("KNOWLEDGE_BASE_DIR", PROJECT_ROOT / "knowledge_base")),
            rasa_port=rasa_port,
            action_port=_port(env, "ACTION_PORT", 5055),
            desk_port=_port(env, "DESK_PORT", 8000),
            rasa_token=token or DEVELOPMENT_TOKEN,
            rasa_url=rasa_url,
            rasa_public_url=env.get("RASA_PUBLIC_URL", rasa_url).rstrip("/"),
            identity_secret=identity_secret,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
