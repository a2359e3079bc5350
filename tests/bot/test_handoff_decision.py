import pytest

from bot.handoff.decision import HandoffReason, Thresholds, Turn, decide


def asks(*items):
    return [Turn(text, intent) for text, intent in items]


def test_two_repeats_do_not_hand_off_three_do():
    turns = asks(("where is my refund", "ask_return_policy"), ("when do i get my money back", "ask_return_policy"))
    assert decide(turns) is None
    turns.append(Turn("refund???", "ask_return_policy"))
    assert decide(turns) == HandoffReason.repeated


def test_small_talk_repeats_do_not_count():
    turns = asks(("hi", "greet"), ("hello", "greet"), ("hey", "greet"), ("ok", "affirm"), ("ok", "affirm"),
                 ("ok", "affirm"))
    assert decide(turns) is None


def test_near_identical_text_counts_whatever_the_intent():
    turns = asks(("Where is TS100004??", "order_status"), ("where is ts100004", "inform"),
                 ("where is TS100004", "ask_shipping"))
    assert decide(turns, Thresholds(excluded_intents=("order_status", "inform", "ask_shipping"))) == \
        HandoffReason.repeated


def test_three_not_understood_in_a_row():
    turns = asks(("can you sing for me", "nlu_fallback"), ("tell me about the moon", "nlu_fallback"))
    assert decide(turns) is None
    turns.append(Turn("what??", "out_of_scope"))
    assert decide(turns) == HandoffReason.repeated
    interrupted = asks(("can you sing", "nlu_fallback"), ("hi", "greet"), ("what is the moon", "nlu_fallback"))
    assert decide(interrupted) is None


def test_answers_to_the_order_form_are_not_repeats():
    turns = [Turn("where is my order", "order_status"), Turn("TS100004", "order_status", answering_form=True),
             Turn("TS100005", "order_status", answering_form=True)]
    assert decide(turns) is None


def test_explicit_request_hands_off_at_once():
    assert decide(asks(("can i talk to a human", "request_human"))) == HandoffReason.requested


@pytest.mark.parametrize("levels, reason", [
    (["annoyed"], None), (["angry"], None), (["furious"], HandoffReason.anger),
    (["angry", "angry"], HandoffReason.anger), (["angry", "none", "angry"], None),
    (["furious", "none"], None), (["annoyed", "angry"], None),
])
def test_anger_ladder(levels, reason):
    turns = [Turn(f"message {i}", "complain" if i % 2 else "ask_shipping", level) for i, level in enumerate(levels)]
    assert decide(turns) == reason


def test_thresholds_come_from_configuration():
    turns = asks(("refund", "ask_return_policy"), ("refund please", "ask_return_policy"))
    assert decide(turns, Thresholds(repeats=2)) == HandoffReason.repeated


def test_junk_is_no_reason_to_call_a_person():
    junk = asks(("???", "nlu_fallback"), ("1234567", "nlu_fallback"), ("<b></b> https://x.example/a", "nlu_fallback"))
    assert decide(junk) is None
    mashing = asks(("asdkjh", "nlu_fallback"), ("qwpoeiru", "nlu_fallback"), ("zxmcnvb", "nlu_fallback"))
    assert decide(mashing) is None
    words = asks(("can you sing", "nlu_fallback"), ("wie spät ist es", "nlu_fallback"), ("my cat is sad", "nlu_fallback"))
    assert decide(words) == HandoffReason.repeated
