"""The Rasa server as this project runs it: Rasa 3.6's own `rasa run`, with one fix applied first.

Rasa checks every action server response against a JSON schema with `jsonschema.validate`, which
first validates the schema itself and builds a new validator each time. Under load that was 63 % of
the Rasa server's CPU (py-spy, 50 shoppers; bench/README.md). The schema never changes, so the fix
checks it once and keeps one validator; responses are validated exactly as before, with the same
errors.

    python -m bot.rasa_server --enable-api --model ...       (the arguments of `rasa run`)
    python -m bot.rasa_server serve --model M --endpoints E  (token, address, CORS from the settings)

It runs in the Rasa environment (.venv-rasa); `python -m bot serve-rasa` in the application
environment prepares endpoints.yml and starts the second form there.

It also makes a failing tracker store an error the shopper hears about (Rasa would carry on with an
empty in-memory conversation and keep nothing), and a custom action that cannot run (the action server is down, times out or fails) end in an
apology to the shopper instead of silence: Rasa 3.6 logs the failure and carries on without a word.
"""
import os
import sys
from typing import List, Optional


def keep_one_action_response_validator() -> None:
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self, result) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (f". Failed to validate Action server response from API, make sure your response "
                          f"from the Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error

    RemoteAction._validate_action_result = _validate_action_result


MAX_REQUEST_BYTES = 1024 * 1024
# Said once per shopper message when custom actions fail; marked so that a second failure in the same
# turn (Rasa predicts again after a failed action) does not repeat it.
ACTIONS_DOWN_REPLY = ("Sorry, I can't look that up right now: part of our system is not answering. "
                      "Please try again in a few minutes, or ask for a person.")
FAULT_MARK = {"fault": "actions_unavailable"}


def _apologised_this_turn(tracker) -> bool:
    from rasa.shared.core.events import BotUttered, UserUttered

    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("fault") == FAULT_MARK["fault"]:
            return True
    return False


def apologise_when_actions_fail() -> None:
    import logging

    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.events import BotUttered
    from rasa.shared.exceptions import RasaException

    logger = logging.getLogger("bot.rasa_server")
    run = RemoteAction.run

    async def run_or_apologise(self, output_channel, nlg, tracker, domain):
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's normal "not my turn"; Rasa handles it
        except RasaException:
            logger.error("custom action %s failed for %s; the shopper gets an apology", self.name(),
                         tracker.sender_id)
            if _apologised_this_turn(tracker):
                return []
            return [BotUttered(ACTIONS_DOWN_REPLY, metadata=dict(FAULT_MARK))]

    RemoteAction.run = run_or_apologise


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or saved; the channel tells the shopper (bot/chat/channels.py)."""


def surface_tracker_store_errors() -> None:
    """Rasa wraps the tracker store in a fail-safe one that, on any error, logs and carries on with an
    empty in-memory tracker: the shopper is answered as a stranger and nothing they type is saved. We
    would rather say so: the error is logged and raised, and the channel apologises."""
    import logging

    from rasa.core.tracker_store import FailSafeTrackerStore

    logger = logging.getLogger("bot.rasa_server")

    def on_tracker_store_error(self, error: Exception) -> None:
        logger.error("the tracker store failed (%s: %s); the message is refused, not kept in memory",
                     type(error).__name__, error)
        raise TrackerStoreUnavailable(str(error)) from error

    FailSafeTrackerStore.on_tracker_store_error = on_tracker_store_error


def answer_only_our_pings() -> None:
    """python-engineio 4.4.1 (pinned for Rasa 3.6's socket.io channel) starts a heartbeat task, alive for
    25 s, for every PONG a client sends, asked for or not (GHSA-cgwc-pv48-fhj5): a script can send
    thousands of tiny PONG frames a second and fill the server's memory. A PONG counts here only as the
    answer to the PING that is waiting for one, so each socket has one heartbeat at a time, as 4.13.2
    does; an unasked PONG is dropped."""
    from engineio import packet
    from engineio.asyncio_socket import AsyncSocket

    original_receive = AsyncSocket.receive

    async def receive(self, pkt):
        if pkt.packet_type == packet.PONG:
            if self.last_ping is None:  # no PING of ours is waiting: nothing to answer
                return
            self.last_ping = None  # answered; the next heartbeat sets it again
        await original_receive(self, pkt)

    AsyncSocket.receive = receive


class ClosedWebsocketNoise:
    """python-engineio's Sanic handler serves a websocket inside an ordinary route and returns nothing once
    the socket closes; Sanic 21 logs that as an error with a traceback (sanic-org/sanic#2572), one for
    every chat a shopper leaves. Only that record is dropped: every other error is still logged."""

    def filter(self, record) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        closed_socket = (type(error).__name__ == "ServerError" and "Invalid response type None" in str(error)
                         and "transport=websocket" in record.getMessage())
        return not closed_socket


def quiet_closed_websockets() -> None:
    import logging

    logging.getLogger("sanic.error").addFilter(ClosedWebsocketNoise())


def main(argv: Optional[List[str]] = None) -> int:
    os.umask(0o077)
    quiet_closed_websockets()  # the tracker store's SQLite file and the logs are nobody else's to read
    keep_one_action_response_validator()
    apologise_when_actions_fail()
    surface_tracker_store_errors()
    answer_only_our_pings()
    # Sanic reads SANIC_* settings from the environment when Rasa creates its app. A shopper's message
    # is capped at a few KB by the channels; a request body of over 1 MB is refused before it is read.
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))
    # Behind a balancer, the channels' per-client limits count the address it forwards (bot/settings.py).
    from bot.settings import get_settings

    if get_settings().client_ip_header:
        os.environ.setdefault("SANIC_REAL_IP_HEADER", get_settings().client_ip_header.lower())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


def serve(argv: List[str]) -> int:
    """The Rasa server with the token, CORS origins, address and port from the settings. The token goes
    to Rasa inside this process, so `ps` never shows it (a command-line argument would)."""
    import argparse

    from bot.settings import PROJECT_ROOT, get_settings

    parser = argparse.ArgumentParser(prog="python -m bot.rasa_server serve")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", required=True)
    args = parser.parse_args(argv)
    settings = get_settings()
    return main(["-i", settings.rasa_host, "--port", str(args.port or settings.rasa_port), "--enable-api",
                 f"--auth-token={settings.require_rasa_token()}", "--cors", *settings.shop_origins,
                 "--model", args.model, "--endpoints", args.endpoints,
                 "--credentials", str(PROJECT_ROOT / "credentials.yml")])


if __name__ == "__main__":
    sys.exit(serve(sys.argv[2:]) if sys.argv[1:2] == ["serve"] else main())
