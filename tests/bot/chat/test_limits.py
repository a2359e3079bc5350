import pytest

from bot.chat.limits import (CLIENT_METADATA_KEY, ENTRY_PAYLOADS, MAX_DISPLAY_TEXT_CHARS, MAX_IDENTITY_CHARS,
                             MAX_LANGUAGE_CHARS, MAX_MESSAGE_CHARS, MAX_PRODUCT_CHARS, TYPED_TEXT_KEY, as_text,
                             clean_text, is_too_long, offered_payloads, trusted_metadata)


def test_invalid_unicode_and_control_characters_are_cleaned():
    assert clean_text("\ud800 hi\x00") == "\ufffd hi"
    assert clean_text("line\nnext\ttab") == "line\nnext\ttab"
    assert clean_text(None) == ""
    assert clean_text({"text": "hi"}) is None and clean_text(["hi"]) is None
    assert clean_text("ünïcødé 👍") == "ünïcødé 👍"


def test_the_cap():
    assert not is_too_long("a" * MAX_MESSAGE_CHARS) and is_too_long("a" * (MAX_MESSAGE_CHARS + 1))


def test_only_offered_payloads_stay_payloads():
    events = [
        {"event": "bot", "data": {"buttons": [{"title": "Old", "payload": "/old"}]}},
        {"event": "user", "text": "harbor"},
        {"event": "bot", "text": "Which one?", "data": {"buttons": [
            {"title": "Harbor Chinos", "payload": '/inform{"product": "TS-PNT-002"}'}]}},
    ]
    offered = offered_payloads(events)
    assert offered == {'/inform{"product": "TS-PNT-002"}'}
    assert as_text('/inform{"product": "TS-PNT-002"}', offered) == '/inform{"product": "TS-PNT-002"}'
    assert as_text("/old", offered) == "old"  # answered already: no longer offered
    assert as_text("/restart", offered) == "restart"
    assert as_text("  //session_start", offered) == "session_start"
    assert as_text('/order_status{"order_number": "TS100004"}', offered) == 'order_status{"order_number": "TS100004"}'
    assert all(as_text(payload, set()) == payload for payload in ENTRY_PAYLOADS)
    assert as_text("where is my order?", set()) == "where is my order?"


def test_a_new_session_forgets_what_was_offered():
    events = [{"event": "bot", "data": {"buttons": [{"title": "A", "payload": "/a"}]}},
              {"event": "session_started"}]
    assert offered_payloads(events) == set()


def test_the_server_writes_the_client_and_the_typed_text():
    metadata = trusted_metadata({"client": "spoofed", "typed_text": "x", "page": {"product": "TS-JKT-001"},
                                 "display_text": "Harbor"}, client="198.51.100.7", typed_text="/restart")
    assert metadata[CLIENT_METADATA_KEY] == "198.51.100.7" and metadata[TYPED_TEXT_KEY] == "/restart"
    assert "display_text" not in metadata and metadata["page"] == {"product": "TS-JKT-001"}
    assert trusted_metadata("not a dict", client="c") == {CLIENT_METADATA_KEY: "c"}


def test_the_rate_limit_slides():
    from bot.chat.limits import RateLimit

    now = [0.0]
    limit = RateLimit(limit=3, window=10, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")  # another client is not held up
    now[0] = 10.5
    assert limit.allow("a")


def test_clients_are_keyed_per_ipv4_address_and_per_ipv6_64():
    from bot.chat.limits import address_key as client_key

    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("unknown") == "unknown"


def test_rasa_webchat_custom_data_is_read_in_our_keys():
    from bot.chat.limits import client_metadata

    webchat = {"identityToken": "tok", "context": {"product": "TS-JKT-001"}, "language": "de"}
    assert client_metadata(None, webchat) == {"identity": "tok", "page": {"product": "TS-JKT-001"}, "language": "de"}
    assert client_metadata({}, webchat)["identity"] == "tok"  # an empty metadata is absent
    ours = {"identity": "ours", "page": {"product": "A"}}
    assert client_metadata(ours, webchat) == ours  # metadata, when sent, is what counts
    assert client_metadata({"identity": "ours", "identityToken": "alias"})["identity"] == "ours"
    assert client_metadata("not a dict", ["nor this"]) == {}


def test_message_ids_and_attachments_are_kept_only_when_well_formed():
    from bot.chat.limits import message_id

    assert message_id({"message_id": "abcd-1234_XY"}) == "abcd-1234_XY"
    for bad in ("short", "x" * 65, "has space 123", 12345678, None):
        assert message_id({"message_id": bad}) is None
        assert "message_id" not in trusted_metadata({"message_id": bad}, client="1.2.3.4")
    kept = trusted_metadata({"message_id": "m" * 8, "attachments": ["a" * 16, "../x", "b" * 16, "c" * 16,
                                                                    "d" * 16, "e" * 16]}, client="1.2.3.4")
    assert kept["message_id"] == "m" * 8 and kept["attachments"] == ["a" * 16, "b" * 16, "c" * 16, "d" * 16]
    assert "attachments" not in trusted_metadata({"attachments": "a" * 16}, client="1.2.3.4")


def test_only_the_known_keys_are_kept_and_each_within_its_limit():
    from bot.chat.limits import client_metadata

    token = "v1." + "p" * 400 + "." + "s" * 43
    sent = {"identity": token, "page": {"product": "TS-JKT-001", "junk": "x" * 10_000},
            "display_text": "Harbor Chinos", "language": "de", "message_id": "msg-00000001",
            "attachments": ["a" * 20], "junk": "x" * 1_000_000, "nested": {"deep": ["x"] * 1000}}
    kept = trusted_metadata(sent, client="198.51.100.7")
    assert kept == {"identity": token, "page": {"product": "TS-JKT-001"}, "display_text": "Harbor Chinos",
                    "language": "de", "message_id": "msg-00000001", "attachments": ["a" * 20],
                    CLIENT_METADATA_KEY: "198.51.100.7"}
    assert client_metadata(sent) == {k: v for k, v in kept.items() if k != CLIENT_METADATA_KEY}
    assert client_metadata(None, {"context": {"product": "TS-JKT-001"}, "junk": "x"}) == {
        "page": {"product": "TS-JKT-001"}}


@pytest.mark.parametrize("key, value", [
    ("identity", "t" * (MAX_IDENTITY_CHARS + 1)), ("identity", {"email": "a@b.c"}), ("identity", 12),
    ("display_text", "d" * (MAX_DISPLAY_TEXT_CHARS + 1)), ("display_text", ["Harbor"]),
    ("language", "l" * (MAX_LANGUAGE_CHARS + 1)), ("language", "de<script>"), ("language", None),
    ("page", {"product": "p" * (MAX_PRODUCT_CHARS + 1)}), ("page", {"product": 5}), ("page", "TS-JKT-001"),
    ("page", {"other": "TS-JKT-001"}), ("message_id", "short"), ("message_id", "m" * 65),
    ("attachments", "a" * 20), ("attachments", [{"id": "a" * 20}]),
])
def test_a_known_key_of_the_wrong_type_or_size_is_dropped(key, value):
    from bot.chat.limits import client_metadata

    assert key not in trusted_metadata({key: value}, client="c")
    assert key not in client_metadata({key: value})


def test_what_only_the_server_writes_never_comes_from_the_client():
    from bot.chat.limits import client_metadata

    assert client_metadata({"client": "1.2.3.4", "typed_text": "/restart", "language": "en"}) == {"language": "en"}
    assert trusted_metadata({"client": "1.2.3.4", "typed_text": "/x"}, client="c") == {CLIENT_METADATA_KEY: "c"}
