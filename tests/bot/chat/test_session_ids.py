import pytest

from bot.chat.session_ids import is_widget_session, new_widget_session

SESSION = "web-" + "a" * 32


@pytest.mark.parametrize("value,ok", [(SESSION, True), ("web-" + "A" * 32, False), ("web-123", False),
                                      ("me", False), ("", False), (SESSION + "\n", False), ("../" + SESSION, False)])
def test_only_widget_session_ids_can_be_read_back(value, ok):
    assert is_widget_session(value) is ok


def test_new_session_ids_are_widget_ids_and_unguessable():
    ids = {new_widget_session() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_widget_session(value) for value in ids)
