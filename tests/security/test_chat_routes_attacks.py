"""The red team's attacks on the widget's routes on the desk, over real HTTP on a real database with real
images: photo limits that cannot be raced, refused photos that count, a bytes budget, a free-space floor,
bomb-shaped images refused before decoding, slow bodies cut off, and /history limited per address."""
import asyncio
import io
import os
import zlib

import pytest
from aiohttp import ClientError
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import PhotoUpload
from bot.desk.attachments import ATTACHMENTS_DIR, PER_CLIENT, PER_CONVERSATION, DecodeQueue, QueueFull
from bot.desk.chat_routes import HISTORY_PER_MINUTE
from bot.desk.context import CLIENT_IP_HEADER
from bot.images import MAX_STORED_BYTES, TOO_MANY_PIXELS, reencode
from bot.settings import get_settings
from tests.bot.test_storefront import ConversationsRasa, app_for

SESSION = "web-" + "c" * 32
ADDRESS = "X-Test-Client"  # the tests' stand-in for a balancer's header: one shopper per value


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


PNG = encoded(Image.new("RGB", (10, 10), (5, 6, 7)), "PNG")


@pytest.fixture()
def desk(sqlite_engine, knowledge, tmp_path):
    app = app_for(sqlite_engine, knowledge, ConversationsRasa({}))
    app[ATTACHMENTS_DIR] = tmp_path / "attachments"
    app[CLIENT_IP_HEADER] = ADDRESS
    return app


@pytest.fixture()
def settings_env(monkeypatch):
    """Settings read from the environment for one test."""
    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()
    yield set_env
    get_settings.cache_clear()


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def upload(client, data, content_type="image/png", session=SESSION, address="10.0.0.1", **headers):
    return await client.post(f"/chat/{session}/attachments", data=data,
                             headers={"Content-Type": content_type, ADDRESS: address, **headers})


def pending_count(engine) -> int:
    with session_scope(engine) as session:
        return len(session.execute(select(PhotoUpload.id).where(PhotoUpload.state == "pending")).all())


async def until(condition):
    """Waits for a condition the server reaches on its own (the test has no other signal)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition was never reached")


def test_parallel_uploads_to_one_conversation_cannot_pass_its_limit(desk):
    """Thirty uploads at once (from thirty addresses, so that only the conversation's limit applies)."""
    photo = encoded(Image.new("RGB", (1200, 900), (90, 30, 30)), "JPEG")

    async def scenario(client):
        responses = await asyncio.gather(*(upload(client, photo, "image/jpeg", address=f"10.1.0.{n}")
                                           for n in range(30)))
        statuses = sorted(r.status for r in responses)
        assert statuses == [201] * PER_CONVERSATION + [429] * (30 - PER_CONVERSATION)
    run(desk, scenario)


def test_an_address_has_at_most_two_uploads_in_flight(desk, sqlite_engine):
    async def scenario(client):
        gate = asyncio.Event()

        async def slow_body():
            yield PNG[:20]
            await gate.wait()
            yield PNG[20:]

        # The desk wants a length (411 without one): the whole photo's, sent slowly.
        slow = [asyncio.ensure_future(upload(client, slow_body(), **{"Content-Length": str(len(PNG))}))
                for _ in range(2)]
        await until(lambda: pending_count(sqlite_engine) == 2)
        third = await upload(client, PNG)
        assert third.status == 429 and "at a time" in (await third.json())["error"]
        assert (await upload(client, PNG, address="10.0.0.2")).status == 201  # another shopper is not held up
        gate.set()
        assert [r.status for r in await asyncio.gather(*slow)] == [201, 201]
        assert (await upload(client, PNG)).status == 201
    run(desk, scenario)


def test_refused_photos_count_against_the_address(desk):
    async def scenario(client):
        for _ in range(PER_CLIENT):
            assert (await upload(client, b"not a photo at all")).status == 415
        refused = await upload(client, PNG, session="web-" + "d" * 32)
        assert refused.status == 429 and "wait" in (await refused.json())["error"]
        assert (await upload(client, PNG, address="10.0.0.9")).status == 201
    run(desk, scenario)


def noise(size, mode="RGB") -> Image.Image:
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


def test_an_address_has_a_budget_of_stored_bytes(desk, settings_env):
    settings_env(PHOTO_MB_PER_CLIENT=1)
    big = encoded(noise((700, 700)), "PNG")  # stored as a PNG of ~1.5 MB

    async def scenario(client):
        assert (await upload(client, big)).status == 201
        refused = await upload(client, PNG, session="web-" + "e" * 32)
        assert refused.status == 429 and "wait" in (await refused.json())["error"]
        assert (await upload(client, PNG, address="10.0.0.3")).status == 201
    run(desk, scenario)


def test_a_transparent_photo_too_large_as_png_is_kept_as_jpeg():
    """A lossy WebP with alpha would become a PNG several times its size: flattened onto white instead."""
    original = encoded(noise((1800, 1800), "RGBA"), "WEBP", quality=1, method=0)
    photo = reencode(original)
    assert photo.content_type == "image/jpeg" and len(photo.data) <= MAX_STORED_BYTES
    assert Image.open(io.BytesIO(photo.data)).size == (1800, 1800)


def test_no_photo_is_taken_when_the_disk_is_nearly_full(desk, settings_env):
    settings_env(PHOTO_MIN_FREE_MB=10 ** 12)  # more than any disk has free

    async def scenario(client):
        refused = await upload(client, PNG)
        assert refused.status == 503 and (await refused.json()) == {"error": "Photos can't be taken right now."}
    run(desk, scenario)


def zeros_png(width: int, height: int) -> bytes:
    """An RGBA PNG of zeros: a few hundred pixels for every byte of the file."""
    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    rows = zlib.compress(b"\x00" * ((1 + 4 * width) * height), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_an_image_claiming_far_more_pixels_than_its_bytes_hold_is_refused_before_decoding(desk):
    bomb = zeros_png(4000, 3000)  # 12 megapixels, under the pixel limit, in ~50 KB

    async def scenario(client):
        refused = await upload(client, bomb)
        assert refused.status == 413 and (await refused.json()) == {"error": TOO_MANY_PIXELS}
    run(desk, scenario)


def test_the_decode_queue_is_bounded():
    queue = DecodeQueue(limit=2)
    with queue.slot(), queue.slot():
        with pytest.raises(QueueFull):
            with queue.slot():
                pass
    with queue.slot():  # the slots were given back
        pass


def test_a_body_sent_too_slowly_is_cut_off(desk, settings_env):
    settings_env(PHOTO_UPLOAD_SECONDS=1)

    async def scenario(client):
        never = asyncio.Event()

        async def trickle():
            yield PNG[:10]
            await never.wait()
            yield PNG[10:]

        try:
            response = await asyncio.wait_for(upload(client, trickle(), **{"Content-Length": str(len(PNG))}),
                                              timeout=30)
        except ClientError:  # the desk answered and closed while the body was still being sent
            response = None
        if response is not None:
            assert response.status == 408
        assert (await upload(client, PNG)).status == 201
    run(desk, scenario)


def test_history_is_limited_per_address(desk):
    async def scenario(client):
        for _ in range(HISTORY_PER_MINUTE):
            response = await client.get(f"/chat/{SESSION}/history", headers={ADDRESS: "10.0.0.1"})
            assert response.status == 200
        refused = await client.get(f"/chat/{SESSION}/history", headers={ADDRESS: "10.0.0.1"})
        assert refused.status == 429 and refused.headers["Access-Control-Allow-Origin"] == "*"
        assert (await client.get(f"/chat/{SESSION}/history", headers={ADDRESS: "10.0.0.2"})).status == 200
    run(desk, scenario)
