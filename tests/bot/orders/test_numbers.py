import pytest

from bot.orders.masking import MaskEmailsFilter, mask_email
from bot.orders.numbers import extract_verification, normalize_order_number, normalize_postcode


@pytest.mark.parametrize("text, number", [
    ("TS104233", "TS104233"), ("ts-104233", "TS104233"), ("my order is #104233", "TS104233"),
    ("104233", "TS104233"), ("order TS 104233 please", "TS104233"),
    ("TS1042", None), ("1042335", None), ("hello", None), ("", None), (None, None),
    ("'; DROP TABLE orders; --", None), ("🙂🙂🙂", None), ("<b>TS104233</b>", "TS104233"),
])
def test_order_numbers(text, number):
    assert normalize_order_number(text) == number


@pytest.mark.parametrize("text, factor", [
    ("Jane.Doe@Example.com", "jane.doe@example.com"), ("it's jane@example.com thanks", "jane@example.com"),
    ("sw1a 1aa", "SW1A1AA"), ("05401", "05401"), ("my postcode is M5V 2T6", "M5V2T6"),
    ("no idea", None), ("yes", None), ("", None), ("x" * 5000, None),
])
def test_verification_factors(text, factor):
    assert extract_verification(text) == factor


def test_postcode_needs_a_digit():
    assert normalize_postcode("hello") is None


def test_email_masking():
    assert mask_email("write to jane.doe@example.com now") == "write to j***@e***.com now"


def test_log_filter_masks_emails(caplog):
    import logging

    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskEmailsFilter())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("verifying %s", "jane.doe@example.com")
    assert "jane.doe" not in caplog.text and "j***@e***.com" in caplog.text


def test_an_order_number_is_no_verification_answer():
    from bot.orders.numbers import extract_verification

    assert extract_verification("TS100010") is None and extract_verification("ts-100010") is None
    assert extract_verification("100010") == "100010"  # a bare six-digit number may be a postcode
    assert extract_verification("V6B 1A1") == "V6B1A1"
