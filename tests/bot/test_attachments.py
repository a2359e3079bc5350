"""Photos shoppers send from the widget, over real HTTP on a real database, with real images made by
Pillow (and pillow-heif) here: what is stored is a fresh encoding without metadata, only photos are
taken, and only the conversation that sent a photo (or staff) can read it back."""
import asyncio
import io
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import Attachment, Role
from bot.desk.accounts import create_user
from bot.desk.attachments import ATTACHMENTS_DIR, PER_CONVERSATION
from bot.handoff.queue import Summary, hashed_client, open_ticket
from bot.images import LONG_SIDE, MAX_BYTES
from tests.bot.test_desk_api import NOW, login
from tests.bot.test_storefront import ConversationsRasa, app_for

SESSION = "web-" + "a" * 32
OTHER = "web-" + "b" * 32
SHOP = "http://127.0.0.1:8000"  # one of the default SHOP_ORIGINS
GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def phone_photo() -> bytes:
    """A landscape JPEG taken with the phone turned (orientation 6: show it rotated a quarter turn), with
    GPS coordinates, a camera make and a comment, larger than the desk keeps."""
    image = Image.new("RGB", (3200, 2400), (180, 40, 40))
    image.paste((20, 20, 200), (0, 0, 1600, 2400))  # left half blue: shows the turn
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    return encoded(image, "JPEG", exif=exif.tobytes(), comment=b"home address 12 Secret Lane", quality=90)


@pytest.fixture()
def desk(sqlite_engine, knowledge, tmp_path):
    rasa = ConversationsRasa({})
    app = app_for(sqlite_engine, knowledge, rasa)
    app[ATTACHMENTS_DIR] = tmp_path / "attachments"
    with session_scope(sqlite_engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("tia@shop.example", Role.trainer)):
            create_user(session, email=email, password="long enough pw", role=role, name=email.split("@")[0])
    return app, rasa, tmp_path / "attachments"


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def upload(client, data: bytes, content_type="image/jpeg", session=SESSION, **headers):
    return await client.post(f"/chat/{session}/attachments", data=data,
                             headers={"Content-Type": content_type, **headers})


def test_a_phone_photo_is_stored_upright_smaller_and_without_its_metadata(desk, sqlite_engine):
    app, _, folder = desk
    original = phone_photo()

    async def scenario(client):
        response = await upload(client, original, Origin=SHOP)
        assert response.status == 201, await response.text()
        assert response.headers["Access-Control-Allow-Origin"] == SHOP
        body = await response.json()
        assert body["content_type"] == "image/jpeg" and body["url"] == f"/chat/{SESSION}/attachments/{body['id']}"
        # Turned upright (portrait now) and scaled to LONG_SIDE on its long side.
        assert (body["width"], body["height"]) == (1920, LONG_SIDE)
        photo = await client.get(body["url"])
        assert photo.status == 200 and photo.headers["Content-Type"] == "image/jpeg"
        assert photo.headers["X-Content-Type-Options"] == "nosniff"
        assert photo.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        data = await photo.read()
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (1920, LONG_SIDE)
        assert dict(image.getexif()) == {} and "exif" not in image.info and "icc_profile" not in image.info
        for secret in (b"Exif", b"PhoneMaker", b"Secret Lane", b"http://ns.adobe.com/xap"):
            assert secret not in data
        # The blue half, on the left before the turn, is at the top now.
        assert image.getpixel((960, 200))[2] > 150 and image.getpixel((960, LONG_SIDE - 200))[0] > 150
        assert (folder / body["id"]).read_bytes() == data
        with session_scope(sqlite_engine) as session:
            row = session.get(Attachment, body["id"])
            assert (row.conversation_id, row.content_type, row.size, row.width, row.height) == (
                SESSION, "image/jpeg", len(data), 1920, LONG_SIDE)
            assert row.created_at == NOW and row.client_key == hashed_client("127.0.0.1")
    run(app, scenario)


def heic() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return encoded(Image.new("RGB", (640, 480), (30, 160, 60)), "HEIF")


@pytest.mark.parametrize("make, sent_as, stored_as", [
    (lambda: encoded(Image.new("RGBA", (300, 200), (10, 20, 30, 0)), "PNG"), "image/png", "image/png"),
    (lambda: encoded(Image.new("RGB", (300, 200), (10, 20, 30)), "PNG"), "image/png", "image/png"),
    (lambda: encoded(Image.new("RGB", (300, 200), (10, 200, 30)), "WEBP"), "image/webp", "image/jpeg"),
    (lambda: encoded(Image.new("RGBA", (300, 200), (10, 200, 30, 128)), "WEBP"), "image/webp", "image/png"),
    (heic, "image/heic", "image/jpeg"),
], ids=["png-transparent", "png", "webp", "webp-transparent", "heic"])
def test_every_photo_format_is_taken_and_re_encoded(desk, make, sent_as, stored_as):
    app, _, _ = desk
    original = make()

    async def scenario(client):
        response = await upload(client, original, sent_as)
        assert response.status == 201, await response.text()
        body = await response.json()
        assert body["content_type"] == stored_as
        data = await (await client.get(body["url"])).read()
        assert data != original
        image = Image.open(io.BytesIO(data))
        assert image.format == stored_as.split("/")[1].upper() and image.size == (body["width"], body["height"])
    run(app, scenario)


def test_a_transparent_png_keeps_its_transparency(desk):
    app, _, _ = desk

    async def scenario(client):
        body = await (await upload(client, encoded(Image.new("RGBA", (40, 30), (1, 2, 3, 0)), "PNG"),
                                   "image/png")).json()
        image = Image.open(io.BytesIO(await (await client.get(body["url"])).read()))
        assert image.mode == "RGBA" and image.getpixel((3, 3))[3] == 0
    run(app, scenario)


def test_what_is_not_a_photo_is_refused_in_words_a_shopper_reads(desk):
    app, _, folder = desk
    only_photos = "Only photos (JPEG, PNG, WebP or HEIC) can be sent."
    jpeg = encoded(Image.new("RGB", (64, 64), (1, 2, 3)), "JPEG")

    async def scenario(client):
        refused = [
            await upload(client, b"#!/bin/sh\necho renamed script.jpg\n"),  # a script renamed .jpg
            await upload(client, b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),  # a PDF as .jpg
            await upload(client, encoded(Image.new("RGB", (20, 20)), "GIF"), "image/jpeg"),  # not our formats
            await upload(client, jpeg[: len(jpeg) // 2]),  # cut off half-way
            await upload(client, b"hello", "text/plain"),  # the browser said what it is
        ]
        for response in refused:
            assert response.status == 415 and (await response.json()) == {"error": only_photos}
        empty = await client.post(f"/chat/{SESSION}/attachments", data=b"", headers={"Content-Type": "image/png"})
        assert empty.status == 400
    run(app, scenario)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_polyglot_keeps_only_its_pixels(desk):
    """A JPEG with an HTML page after its end: a browser sniffing it could run the page; the stored photo
    is re-encoded and holds nothing of it."""
    app, _, _ = desk
    polyglot = encoded(Image.new("RGB", (80, 60), (9, 9, 9)), "JPEG") + b"<html><script>alert(1)</script></html>"

    async def scenario(client):
        body = await (await upload(client, polyglot)).json()
        data = await (await client.get(body["url"])).read()
        assert b"<script>" not in data and Image.open(io.BytesIO(data)).size == (80, 60)
    run(app, scenario)


def test_too_large_a_body_or_too_many_pixels_is_refused(desk):
    app, _, _ = desk
    # A small file that claims 48 megapixels (a "decompression bomb"): refused before it is decoded.
    bomb = encoded(Image.new("1", (8000, 6000)), "PNG")
    assert len(bomb) < 100_000

    async def scenario(client):
        big = await upload(client, b"\xff\xd8\xff" + bytes(MAX_BYTES))
        assert big.status == 413 and (await big.json()) == {"error": "Photos can be up to 10 MB."}
        too_many = await upload(client, bomb, "image/png")
        assert too_many.status == 413 and "too large" in (await too_many.json())["error"]
    run(app, scenario)


def test_a_photo_is_read_back_only_by_its_own_conversation_and_by_staff(desk):
    app, _, _ = desk

    async def scenario(client):
        body = await (await upload(client, encoded(Image.new("RGB", (50, 50)), "PNG"), "image/png")).json()
        photo_id = body["id"]
        assert (await client.get(f"/chat/{OTHER}/attachments/{photo_id}")).status == 404
        assert (await client.get(f"/chat/{SESSION}/attachments/{'x' * 32}")).status == 404
        assert (await client.get(f"/chat/{SESSION}/attachments/..%2F..%2Fetc%2Fpasswd")).status == 404
        assert (await client.get(f"/api/attachments/{photo_id}")).status == 401
        async with TestClient(TestServer(app)) as trainer:
            await login(trainer, "tia@shop.example")
            assert (await trainer.get(f"/api/attachments/{photo_id}")).status == 403
        async with TestClient(TestServer(app)) as agent:
            await login(agent, "ana@shop.example")
            staff = await agent.get(f"/api/attachments/{photo_id}")
            assert staff.status == 200 and staff.headers["X-Content-Type-Options"] == "nosniff"
            assert Image.open(io.BytesIO(await staff.read())).format == "PNG"
            assert (await agent.get(f"/api/attachments/{'y' * 32}")).status == 404
    run(app, scenario)


def test_only_the_shop_may_send_photos_from_a_browser(desk):
    app, _, _ = desk
    png = encoded(Image.new("RGB", (10, 10)), "PNG")

    async def scenario(client):
        preflight = await client.options(f"/chat/{SESSION}/attachments", headers={
            "Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
        assert preflight.headers["Access-Control-Allow-Methods"] == "POST"
        assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"
        elsewhere = await client.options(f"/chat/{SESSION}/attachments", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert elsewhere.status == 403 and "Access-Control-Allow-Origin" not in elsewhere.headers
        refused = await upload(client, png, "image/png", Origin="https://evil.example")
        assert refused.status == 403
        # The desk's own pages (the demo storefront) are same-origin.
        own = f"http://{client.server.host}:{client.server.port}"
        assert (await upload(client, png, "image/png", Origin=own)).status == 201
    run(app, scenario)


def test_a_conversation_sends_a_limited_number_of_photos_an_hour(desk, sqlite_engine):
    app, _, _ = desk
    png = encoded(Image.new("RGB", (10, 10)), "PNG")
    with session_scope(sqlite_engine) as session:  # sent earlier, outside the hour: not counted
        session.add(Attachment(id="o" * 32, conversation_id=SESSION, content_type="image/png", size=1, width=1,
                               height=1, created_at=NOW - timedelta(hours=2), client_key="k"))

    async def scenario(client):
        for _ in range(PER_CONVERSATION):
            assert (await upload(client, png, "image/png")).status == 201
        refused = await upload(client, png, "image/png")
        assert refused.status == 429 and "wait" in (await refused.json())["error"]
        assert (await upload(client, png, "image/png", session=OTHER)).status == 201
    run(app, scenario)
    with session_scope(sqlite_engine) as session:
        assert len(session.execute(select(Attachment.id).where(Attachment.conversation_id == SESSION)).all()) \
            == PER_CONVERSATION + 1


def test_history_and_ticket_show_the_conversations_own_photos(desk, sqlite_engine):
    app, rasa, _ = desk
    with session_scope(sqlite_engine) as session:
        ticket_id = open_ticket(session, conversation_id=SESSION, reason="requested", peak_anger=0.0,
                                peak_level="none", summary=Summary(["it arrived broken"], {}, []), now=NOW).id
        session.add(Attachment(id="f" * 32, conversation_id=OTHER, content_type="image/png", size=1, width=1,
                               height=1, created_at=NOW, client_key="k"))

    async def scenario(client):
        photo = await (await upload(client, phone_photo())).json()
        rasa.events_by_id[SESSION] = [
            {"event": "user", "text": "it arrived broken", "timestamp": 5.0,
             # The second id belongs to another conversation: never shown here.
             "metadata": {"attachments": [photo["id"], "f" * 32]}},
        ]
        history = await (await client.get(f"/chat/{SESSION}/history")).json()
        assert history["messages"][0]["attachments"] == [{"id": photo["id"], "url": photo["url"]}]
        async with TestClient(TestServer(app)) as agent:
            await login(agent, "ana@shop.example")
            detail = await (await agent.get(f"/api/tickets/{ticket_id}")).json()
            assert detail["transcript"][0]["attachments"] == [photo["id"]]
            assert detail["attachments"] == [{
                "id": photo["id"], "url": f"/api/attachments/{photo['id']}", "size": detail["attachments"][0]["size"],
                "width": 1920, "height": LONG_SIDE, "content_type": "image/jpeg",
                "created_at": NOW.isoformat() + "Z"}]
            assert (await agent.get(detail["attachments"][0]["url"])).status == 200
    run(app, scenario)


def test_the_console_shows_photos_as_images_of_the_staff_url(desk):
    """The console's scripts build the photos with DOM calls (never innerHTML) from the staff URL."""
    app, _, _ = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        scripts = [await (await client.get(f"/static/{name}.js")).text()
                   for name in ("console", "console/conversation", "console/panel", "console/dom")]
        assert not any("innerHTML" in script for script in scripts)
        assert "/api/attachments/" in scripts[1] and "/api/attachments/" in scripts[2]
        page = await (await client.get("/console")).text()
        assert 'id="attachments"' in page
    run(app, scenario)
