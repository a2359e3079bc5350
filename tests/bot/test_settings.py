import pytest

from bot.settings import DEVELOPMENT_TOKEN, Settings, SettingsError, read_env_file


def test_defaults():
    settings = Settings.from_env({})
    assert settings.rasa_port == 5005 and settings.action_port == 5055
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/storefront.db")
    assert settings.rasa_token == DEVELOPMENT_TOKEN


def test_production_refuses_the_development_token():
    with pytest.raises(SettingsError):
        Settings.from_env({"STOREFRONT_ENV": "production"})
    with pytest.raises(SettingsError):
        Settings.from_env({"STOREFRONT_ENV": "production", "RASA_TOKEN": DEVELOPMENT_TOKEN})
    assert Settings.from_env({"STOREFRONT_ENV": "production", "RASA_TOKEN": "s3cret"}).is_production


@pytest.mark.parametrize("env", [{"RASA_PORT": "abc"}, {"ACTION_PORT": "70000"}, {"STOREFRONT_ENV": "staging"}])
def test_bad_values_are_refused_with_the_variable_name(env):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert next(iter(env)) in str(error.value)


def test_env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# comment\nRASA_PORT=6000\nDATABASE_URL='postgresql://x@h/db'\n\nbroken line\n")
    assert read_env_file(path) == {"RASA_PORT": "6000", "DATABASE_URL": "postgresql://x@h/db"}


def test_identity_secret_and_public_rasa_address():
    from bot.settings import DEVELOPMENT_IDENTITY_SECRET

    assert Settings.from_env({}).identity_secret == DEVELOPMENT_IDENTITY_SECRET
    assert Settings.from_env({"SHOP_IDENTITY_SECRET": "shop-secret"}).identity_secret == "shop-secret"
    production = {"STOREFRONT_ENV": "production", "RASA_TOKEN": "s3cret"}
    assert Settings.from_env(production).identity_secret == ""  # unset in production: identities ignored
    with pytest.raises(SettingsError):
        Settings.from_env({**production, "SHOP_IDENTITY_SECRET": DEVELOPMENT_IDENTITY_SECRET})
    assert Settings.from_env({"RASA_PORT": "6000"}).rasa_public_url == "http://127.0.0.1:6000"
    assert Settings.from_env({"RASA_PUBLIC_URL": "https://chat.shop.example/"}).rasa_public_url == \
        "https://chat.shop.example"
