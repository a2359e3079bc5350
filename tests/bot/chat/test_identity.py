import base64
import json

import pytest

from bot.chat.identity import sign_identity, verified_email

SECRET = "shop-secret"
NOW = 1_800_000_000


def test_a_signed_identity_is_accepted_until_it_expires():
    token = sign_identity("Arjun.Larsen55@example.com ", secret=SECRET, lifetime=600, now=NOW)
    assert verified_email(token, secret=SECRET, now=NOW + 599) == "arjun.larsen55@example.com"
    assert verified_email(token, secret=SECRET, now=NOW + 601) is None


def test_a_token_signed_with_another_secret_is_rejected():
    token = sign_identity("a@example.com", secret="someone else's", now=NOW)
    assert verified_email(token, secret=SECRET, now=NOW) is None


def test_changing_the_email_breaks_the_signature():
    version, payload, signature = sign_identity("a@example.com", secret=SECRET, now=NOW).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "victim@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert verified_email(f"{version}.{forged}.{signature}", secret=SECRET, now=NOW) is None


@pytest.mark.parametrize("token", [None, "", 42, {"email": "a@example.com"}, "v1.abc", "v2.a.b", "v1.!!.sig",
                                   "x" * 5000, "v1..", "v1.e30.AAAA", "v1.\u00fc.sig", "v1.abc.\u00fc", "v1.e30.\U0001F600"])
def test_malformed_tokens_are_ignored(token):
    assert verified_email(token, secret=SECRET, now=NOW) is None


def test_without_a_secret_nothing_is_signed_or_accepted():
    token = sign_identity("a@example.com", secret=SECRET, now=NOW)
    assert verified_email(token, secret="", now=NOW) is None
    with pytest.raises(ValueError):
        sign_identity("a@example.com", secret="")
