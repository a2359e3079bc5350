"""A shop passes its logged-in customer's identity as a signed token in the socket.io message metadata;
the real servers answer "where is my order?" for that customer only when the signature is right."""
import asyncio

import pytest
from sqlalchemy import create_engine, select

from bot.chat.identity import sign_identity
from bot.database_urls import for_application
from bot.db import Customer, Order, session_scope
from bot.settings import get_settings
from tests.integration.test_handoff import Shopper

pytestmark = pytest.mark.integration


def latest_order_of_some_customer(servers):
    engine = create_engine(for_application(servers.database_url))
    with session_scope(engine) as session:
        row = session.execute(select(Customer.email, Order.number).join(Order.customer)
                              .order_by(Order.placed_at.desc())).first()
    engine.dispose()
    return row


def converse(servers, token, *messages_and_expectations):
    async def scenario():
        shopper = Shopper(servers.rasa_url, metadata={"identity": token})
        await shopper.connect()
        try:
            replies = []
            for message, expected in messages_and_expectations:
                replies.append(await shopper.say(message, wait_for=expected))
            return replies
        finally:
            await shopper.client.disconnect()
    return asyncio.run(scenario())


def test_signed_in_customer_hears_about_their_order_at_once(servers):
    email, number = latest_order_of_some_customer(servers)
    # The test servers share the suite's identity secret (tests/conftest.py), as a shop shares its own.
    token = sign_identity(email, secret=get_settings().identity_secret)
    [replies] = converse(servers, token, ("where is my order?", number))
    assert any(number in r for r in replies)
    assert not any("order number?" in r for r in replies)


def test_a_bad_signature_gets_the_anonymous_questions(servers):
    email, number = latest_order_of_some_customer(servers)
    forged = sign_identity(email, secret="not the shop's secret")
    first, second = converse(servers, forged, ("where is my order?", "order number"),
                             (number, "email address or the delivery postcode"))
    assert not any(number in r for r in first)
    assert not any("Items:" in r for r in second)  # nothing disclosed before verification
