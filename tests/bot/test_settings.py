import pytest

from bot.settings import SECRET_MIN_LENGTH, Settings, SettingsError, read_env_file

SECRET = "s" * SECRET_MIN_LENGTH
PRODUCTION = {"STOREFRONT_ENV": "production", "RASA_TOKEN": SECRET}


def test_defaults():
    settings = Settings.from_env({})
    assert settings.environment == "development"
    assert settings.rasa_port == 5005 and settings.action_port == 5055
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/storefront.db")
    # No secret comes from the source: without .env or the environment there is none.
    assert settings.rasa_token == "" and settings.identity_secret == ""
    assert settings.demo_sign_in is False
    assert settings.shop_origins == ("http://127.0.0.1:8000", "http://localhost:8000")


def test_servers_refuse_to_start_without_a_token():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({}).require_rasa_token()
    assert "init-env" in str(error.value)
    assert Settings.from_env({"RASA_TOKEN": "short-is-fine-in-development"}).require_rasa_token()


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_short_or_missing_tokens_are_refused(environment):
    for token in (None, "", "x", "s" * (SECRET_MIN_LENGTH - 1)):
        env = {"STOREFRONT_ENV": environment, **({} if token is None else {"RASA_TOKEN": token})}
        with pytest.raises(SettingsError) as error:
            Settings.from_env(env)
        assert "RASA_TOKEN" in str(error.value) and str(SECRET_MIN_LENGTH) in str(error.value)
    assert Settings.from_env({**PRODUCTION, "STOREFRONT_ENV": environment}).rasa_token == SECRET


@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_a_short_identity_secret_is_refused(environment):
    env = {**PRODUCTION, "STOREFRONT_ENV": environment}
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**env, "SHOP_IDENTITY_SECRET": "shop-secret"})
    assert "SHOP_IDENTITY_SECRET" in str(error.value)
    assert Settings.from_env(env).identity_secret == ""  # unset: identities are ignored
    assert Settings.from_env({**env, "SHOP_IDENTITY_SECRET": "i" * 40}).identity_secret == "i" * 40


@pytest.mark.parametrize("env", [{"RASA_PORT": "abc"}, {"ACTION_PORT": "70000"}, {"STOREFRONT_ENV": "staging"},
                                 {"DEMO_SIGN_IN": "maybe"}, {"SHOP_ORIGINS": "*"},
                                 {"SHOP_ORIGINS": "https://shop.example/path"}, {"SHOP_ORIGINS": "shop.example"}])
def test_bad_values_are_refused_with_the_variable_name(env):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert next(iter(env)) in str(error.value)


def test_env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# comment\nRASA_PORT=6000\nDATABASE_URL='postgresql://x@h/db'\n\nbroken line\n")
    assert read_env_file(path) == {"RASA_PORT": "6000", "DATABASE_URL": "postgresql://x@h/db"}


def test_identity_secret_and_public_rasa_address():
    assert Settings.from_env({"SHOP_IDENTITY_SECRET": "shop-secret"}).identity_secret == "shop-secret"
    assert Settings.from_env({"RASA_PORT": "6000"}).rasa_public_url == "http://127.0.0.1:6000"
    assert Settings.from_env({"RASA_PUBLIC_URL": "https://chat.shop.example/"}).rasa_public_url == \
        "https://chat.shop.example"


def test_shop_origins():
    assert Settings.from_env({"DESK_PORT": "9000"}).shop_origins == ("http://127.0.0.1:9000", "http://localhost:9000")
    origins = Settings.from_env({"SHOP_ORIGINS": " https://Shop.example.com/, https://www.shop.example.com:8443,"
                                                 "https://shop.example.com"}).shop_origins
    assert origins == ("https://shop.example.com", "https://www.shop.example.com:8443")


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_demo_sign_in_only_when_switched_on(raw, expected):
    assert Settings.from_env({"DEMO_SIGN_IN": raw}).demo_sign_in is expected
    assert Settings.from_env({**PRODUCTION, "STOREFRONT_ENV": "test", "DEMO_SIGN_IN": raw}).demo_sign_in is expected


def test_production_refuses_demo_sign_in():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**PRODUCTION, "DEMO_SIGN_IN": "1"})
    assert "DEMO_SIGN_IN" in str(error.value)
    assert Settings.from_env(PRODUCTION).demo_sign_in is False
