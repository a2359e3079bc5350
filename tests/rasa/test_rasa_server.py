"""Rasa's check of action server responses, with the validator kept between calls: same verdicts."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import keep_one_action_response_validator

GOOD = {"events": [{"event": "slot", "name": "order_number", "value": "TS100004"}],
        "responses": [{"text": "hi"}]}
BAD = [{"events": [{"event": "no_such_event"}]}, {"events": "not a list"}, {"responses": ["not an object"]}, []]


@pytest.fixture()
def action():
    original = RemoteAction._validate_action_result
    keep_one_action_response_validator()
    yield RemoteAction("action_order_status", None)
    RemoteAction._validate_action_result = original


def test_valid_responses_pass_and_invalid_ones_fail_as_before(action):
    assert action._validate_action_result(GOOD) is True
    for response in BAD:
        with pytest.raises(ValidationError) as error:
            action._validate_action_result(response)
        assert "Failed to validate Action server response" in error.value.message


def test_the_same_responses_fail_with_rasas_own_check():
    stock = RemoteAction("action_order_status", None)
    assert stock._validate_action_result(GOOD) is True
    for response in BAD:
        with pytest.raises(ValidationError):
            stock._validate_action_result(response)
