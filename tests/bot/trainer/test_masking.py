"""What trainers see of a shopper's words, and what labelled texts become in the training data."""
import pytest

from bot.orders.masking import mask_entity, mask_personal_data, replace_personal_data


@pytest.mark.parametrize("words, shown", [
    ("my email is jane.doe@example.com", "my email is j***@e***.com"),
    ("order TS104233 please", "order TS****** please"),
    ("it's order 104233", "it's order ******"),                      # without its TS
    ("zip 05401 or 05401-1234", "zip ***** or *****-****"),           # US ZIP and ZIP+4
    ("Berlin 10115, Lyon 69002", "Berlin *****, Lyon *****"),         # German, French
    ("M5V 2T6 / m5v2t6", "*** *** / ******"),                         # Canadian
    ("SW1A 1AA, sw1a1aa, M1 1AE", "**** ***, *******, ** ***"),       # UK
    ("postcode is 3000", "postcode is ****"),                         # Australian, told by its cue
    ("3000", "****"),                                                 # ... or by being the whole answer
    ("1Z9A8B7C6D5E4F3G2H arrived?", "1Z**************** arrived?"),   # UPS
    ("94001111999888777666", "********************"),                 # USPS, 20 digits
    ("is 123456789012 late", "is ************ late"),                 # 12 digits
    ("tracking no. AB12345678CD", "tracking no. ************"),       # any carrier, after its cue
    ("1234 5678 9012", "**** **** ****"),
])
def test_personal_data_is_masked(words, shown):
    assert mask_personal_data(words) == shown


@pytest.mark.parametrize("words", [
    "size 42", "I am 182 cm and 75 kg", "EU 44 / UK 9.5", "2 pairs for $120", "back in 2024, order from 2023",
    "the 2XL hoodie", "tracking number please", "a4 paper", "10.5 wide", "call me at 5",
])
def test_ordinary_words_and_numbers_stay(words):
    assert mask_personal_data(words) == words
    assert replace_personal_data(words) == words


def test_entities_that_are_personal_are_masked_whatever_their_value():
    assert mask_entity("postcode", "3000") == "****"
    assert mask_entity("order_number", "TS104233") == "********"
    assert mask_entity("product", "alpine parka") == "alpine parka"
    assert mask_entity("product", "parka for 10115") == "parka for *****"


def test_training_data_gets_made_up_values_of_the_same_shape():
    assert replace_personal_data("mail jane@x.com, order TS104233") == "mail customer@example.com, order TS123456"
    assert replace_personal_data("tracking 1Z9A8B7C6D5E4F3G2H") == "tracking 1Z1A2A3A4A5A6A7A8A"
    assert replace_personal_data("zip 98101, M5V 2T6") == "zip 12345, A1A 2A3"
