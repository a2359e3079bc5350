"""The Rasa server's fixes, each against Rasa's or engineio's own behaviour: the kept action response validator
(same verdicts as Rasa's check) and one heartbeat per socket.io connection."""
import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import keep_one_action_response_validator
from tests.rasa.engineio_probe import heartbeat_tasks

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


@pytest.fixture()
def pong_guard():
    from engineio.asyncio_socket import AsyncSocket

    from bot.rasa_server import answer_only_our_pings

    original = AsyncSocket.receive
    answer_only_our_pings()
    yield
    AsyncSocket.receive = original


def test_engineio_alone_starts_a_heartbeat_for_every_pong():
    assert asyncio.run(heartbeat_tasks(50, ping_waiting=False)) == 50


def test_unasked_pongs_start_nothing_and_an_answer_starts_the_next_heartbeat(pong_guard):
    assert asyncio.run(heartbeat_tasks(50, ping_waiting=False)) == 0
    assert asyncio.run(heartbeat_tasks(1, ping_waiting=True)) == 1
    assert asyncio.run(heartbeat_tasks(50, ping_waiting=True)) == 1  # one answer; the rest unasked
