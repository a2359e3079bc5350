from bot.mail import FolderMailer, MailUnavailable, SmtpMailer, compose, mailer_for
from bot.settings import Settings
from tests.integration.servers import free_port
from tests.mailbox import smtp_server


def test_mail_goes_to_a_folder_in_development_and_nowhere_in_production(tmp_path):
    base = Settings.from_env({"STOREFRONT_ENV": "development"})
    assert isinstance(mailer_for(base), FolderMailer)
    production = Settings.from_env({"STOREFRONT_ENV": "production", "RASA_TOKEN": "t" * 40})
    assert mailer_for(production) is None
    FolderMailer(tmp_path).send(compose(sender="a@x.example", to="b@y.example", subject="s", body="code 123456"))
    [mail] = tmp_path.glob("*.eml")
    assert b"code 123456" in mail.read_bytes()


def test_smtp_delivers_and_a_dead_server_is_a_clear_error():
    import pytest

    message = compose(sender="assistant@shop.example", to="jane@example.com", subject="s", body="code 654321")
    with smtp_server() as (mailbox, url):
        SmtpMailer(url).send(message)
    assert mailbox.codes_for("jane@example.com") == ["654321"]
    with pytest.raises(MailUnavailable):
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}").send(message)
