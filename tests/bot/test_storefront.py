"""The demo storefront and the widget's read-back routes, over real HTTP on a real database; Rasa is a
recording fake here (tests/browser covers the whole journey against the real servers)."""
import asyncio
import html
import json
import re
from datetime import timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.chat import events
from bot.chat.identity import verified_email
from bot.db import session_scope
from bot.desk.app import create_app
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.storefront import Storefront, size_table
from bot.handoff.queue import Summary, open_ticket
from tests.bot.test_desk_api import NOW

SESSION = "web-" + "c" * 32
SECRET = "test-identity-secret"
RASA_PUBLIC = "http://127.0.0.1:5999"


class ConversationsRasa:
    """Rasa's tracker endpoint, for the history route."""

    def __init__(self, events_by_id, down=False):
        self.events_by_id, self.down = events_by_id, down

    def tracker(self, conversation_id):
        if self.down:
            raise RasaUnavailable("connection refused")
        return {"sender_id": conversation_id, "events": self.events_by_id.get(conversation_id, [])}


def app_for(engine, knowledge, rasa=None, demo_sign_in=True):
    storefront = Storefront(knowledge.kb, rasa_public_url=RASA_PUBLIC, identity_secret=SECRET,
                            demo_sign_in=demo_sign_in)
    return create_app(engine=engine, rasa=rasa or ConversationsRasa({}), knowledge=knowledge, now=lambda: NOW,
                      storefront=storefront)


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


def widget_config(page: str) -> dict:
    match = re.search(r'<script src="/static/widget/widget.js" data-config="([^"]*)"', page)
    assert match, "every page carries the widget"
    return json.loads(html.unescape(match.group(1)))


def test_catalog_lists_every_product_with_the_widget_and_a_tight_csp(sqlite_engine, knowledge):
    async def scenario(client):
        response = await client.get("/")
        assert response.status == 200
        page = await response.text()
        for product in knowledge.kb.products.values():
            assert f'href="/products/{product.sku}"' in page
        assert html.escape(knowledge.kb.products["TS-SNK-001"].name) in page
        config = widget_config(page)
        assert config["rasaUrl"] == RASA_PUBLIC and "identityToken" not in config
        csp = response.headers["Content-Security-Policy"]
        assert "connect-src 'self' http://127.0.0.1:5999 ws://127.0.0.1:5999" in csp
        assert "script-src" not in csp and "default-src 'self'" in csp  # no inline script anywhere
        assert "<script>" not in page
    run(app_for(sqlite_engine, knowledge), scenario)


def test_product_page_has_its_size_chart_and_tells_the_widget_which_product(sqlite_engine, knowledge):
    async def scenario(client):
        page = await (await client.get("/products/TS-JKT-001")).text()
        assert "<h1>Trail Jacket</h1>" in page and '<table class="size-chart">' in page
        chart = knowledge.kb.sizing.charts["tops"]
        assert html.escape(chart.name) in page
        assert all(f'<th scope="row">{row.size}</th>' in page for row in chart.sizes)
        assert widget_config(page)["context"] == {"product": "TS-JKT-001"}
        shoes = await (await client.get("/products/TS-SNK-001")).text()
        assert "EU" in shoes and f"<td>{knowledge.kb.sizing.shoes[0].eu:g}</td>" in shoes
        missing = await client.get("/products/NOPE-<script>")
        assert missing.status == 404 and "<script>" not in await missing.text()
    run(app_for(sqlite_engine, knowledge), scenario)


def test_size_tables_cover_every_product(knowledge):
    for product in knowledge.kb.products.values():
        table = size_table(knowledge.kb, product)
        if knowledge.kb.category_of(product).size_chart:
            assert table is not None and table.rows and all(len(r) == len(table.headers) for r in table.rows)


def test_demo_sign_in_passes_a_signed_identity_to_the_widget(sqlite_engine, knowledge):
    async def scenario(client):
        refused = await client.post("/account/sign-in", data={"email": "nobody@example.com"})
        assert refused.status == 400 and "No demo customer" in await refused.text()
        signed = await client.post("/account/sign-in", data={"email": "Arjun.Larsen55@example.com"},
                                   allow_redirects=False)
        assert signed.status == 303
        config = widget_config(await (await client.get("/")).text())
        assert verified_email(config["identityToken"], secret=SECRET) == "arjun.larsen55@example.com"
        await client.post("/account/sign-out")
        assert "identityToken" not in widget_config(await (await client.get("/")).text())
    run(app_for(sqlite_engine, knowledge), scenario)


def test_without_demo_sign_in_a_cookie_proves_nothing(sqlite_engine, knowledge):
    async def scenario(client):
        assert (await client.post("/account/sign-in", data={"email": "arjun.larsen55@example.com"})).status == 403
        page = await (await client.get("/", cookies={"shop_customer": "arjun.larsen55@example.com"})).text()
        assert "identityToken" not in widget_config(page)
    run(app_for(sqlite_engine, knowledge, demo_sign_in=False), scenario)


def test_history_gives_the_shopper_their_conversation_and_hand_over_state(sqlite_engine, knowledge):
    rasa = ConversationsRasa({SESSION: [
        {"event": "user", "text": "<img src=x onerror=alert(1)>", "timestamp": 5.0,
         "parse_data": {"anger": {"level": "angry", "cues": ["x"]}}},
        {"event": "bot", "text": "I'm connecting you with a person", "timestamp": 6.0},
        events.agent_message("Hi, it's Ana", agent_id=1, agent_name="Ana"),
    ]})
    with session_scope(sqlite_engine) as session:
        open_ticket(session, conversation_id=SESSION, reason="anger", peak_anger=0.7, peak_level="angry",
                    summary=Summary([], {}, []), now=NOW)

    async def scenario(client):
        response = await client.get(f"/chat/{SESSION}/history")
        assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        body = await response.json()
        assert [m["from"] for m in body["messages"]] == ["shopper", "bot", "agent"]
        assert body["messages"][0] == {"from": "shopper", "text": "<img src=x onerror=alert(1)>", "at": 5.0}
        assert body["handoff"] == {"status": "waiting", "position": 1}
        status = await (await client.get(f"/chat/{SESSION}/status")).json()
        # Monday 15:00 UTC is 10:00 in New York, inside the knowledge base's support hours.
        assert status == {"handoff": {"status": "waiting", "position": 1}, "seen_until": None, "csat": None,
                          "support": {"open": True, "next_opening": None}, "now": NOW.replace(tzinfo=timezone.utc).timestamp()}
    run(app_for(sqlite_engine, knowledge, rasa), scenario)


@pytest.mark.parametrize("session_id", ["me", "web-123", "web-" + "Z" * 32, "x" * 300])
def test_only_widget_sessions_can_be_read_back(sqlite_engine, knowledge, session_id):
    async def scenario(client):
        for route in ("history", "status"):
            response = await client.get(f"/chat/{session_id}/{route}")
            assert response.status == 404 and "error" in await response.json()
    run(app_for(sqlite_engine, knowledge, ConversationsRasa({session_id: [{"event": "user", "text": "secret"}]})),
        scenario)


def test_history_says_so_when_rasa_is_down(sqlite_engine, knowledge):
    async def scenario(client):
        response = await client.get(f"/chat/{SESSION}/history")
        assert response.status == 503 and "not answering" in (await response.json())["error"]
    run(app_for(sqlite_engine, knowledge, ConversationsRasa({}, down=True)), scenario)


def test_the_widget_and_its_socket_io_client_are_served(sqlite_engine, knowledge):
    async def scenario(client):
        script = await client.get("/static/widget/widget.js")
        assert script.status == 200 and "textContent" in await script.text()
        assert "innerHTML" not in await script.text()
        client_lib = await client.get("/static/widget/socket.io.min.js")
        assert client_lib.status == 200 and "Socket.IO" in (await client_lib.text())[:300]
        assert (await client.get("/static/widget/widget.css")).status == 200
    run(app_for(sqlite_engine, knowledge), scenario)
