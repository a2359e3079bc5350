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


def _error_record(error: Exception, uri: str):
    import logging
    import sys

    try:
        raise error
    except Exception:
        return logging.LogRecord("sanic.error", logging.ERROR, __file__, 1,
                                 "Exception occurred while handling uri: %s", (uri,), sys.exc_info())


def test_a_closed_websocket_is_not_logged_as_an_error_and_everything_else_is():
    from sanic.exceptions import ServerError

    from bot.rasa_server import ClosedWebsocketNoise

    noise = ClosedWebsocketNoise()
    closed = "'ws://127.0.0.1:5005/socket.io/?EIO=4&transport=websocket&sid=abc'"
    assert noise.filter(_error_record(ServerError("Invalid response type None (need HTTPResponse)"), closed)) is False
    # The same error elsewhere, and any other error on the socket, still reach the log.
    assert noise.filter(_error_record(ServerError("Invalid response type None (need HTTPResponse)"),
                                      "'http://127.0.0.1:5005/webhooks/rest/webhook'")) is True
    assert noise.filter(_error_record(ValueError("boom"), closed)) is True
    assert noise.filter(_error_record(ServerError("Invalid response type 'x'"), closed)) is True
