import pytest

from bot.handoff.anger import AngerScorer, LexiconError
from bot.handoff.anger_eval import ANGRY_SET, evaluate, ordinary_messages, read_lines


@pytest.fixture(scope="module")
def scorer():
    return AngerScorer.from_file()


@pytest.mark.parametrize("text", ["where is my order", "how much is express shipping to canada",
                                  "can i return worn sneakers", "not bad at all, thanks!", "DHL or UPS?",
                                  "i am not unhappy", "you are a star", "", None, "🙂🙂", "TS104233"])
def test_ordinary_messages_score_none(scorer, text):
    assert scorer.score(text).level == "none"


@pytest.mark.parametrize("text, level", [
    ("a bit disappointed with the fit", "annoyed"),
    ("where is my order?!", "annoyed"),
    ("this is unacceptable, third time I ask", "angry"),
    ("I will file a chargeback, you scammers 😡", "furious"),
    ("USELESS COMPANY, WHERE IS MY MONEY", "angry"),
])
def test_levels(scorer, text, level):
    assert scorer.score(text).level == level


def test_cues_explain_the_score(scorer):
    result = scorer.score("this is UNACCEPTABLE!!! still waiting")
    assert {"frustration:unacceptable", "frustration:still waiting", "intensifier:!!"} <= set(result.cues)
    assert 0 < result.score <= 1
    assert result.as_dict() == {"score": result.score, "level": result.level, "cues": list(result.cues)}


def test_negation_cancels_a_cue(scorer):
    assert scorer.score("the service was terrible").level != "none"
    assert scorer.score("the service was not terrible at all").level == "none"


def test_wildcards_and_multiword_cues(scorer):
    assert "threat:scam*" in scorer.score("you scammers").cues
    assert "threat:1 star review" in scorer.score("leaving a 1 star review").cues


def test_huge_message_is_scored(scorer):
    assert scorer.score("fine " * 5000 + " this is unacceptable").level != "none"


def test_broken_lexicon_is_reported(tmp_path):
    path = tmp_path / "anger.yml"
    path.write_text("cues: {insult: {phrases: [idiot]}}\n")
    with pytest.raises(LexiconError):
        AngerScorer.from_file(path)
    path.write_text("cues: [unclosed\n")
    with pytest.raises(LexiconError):
        AngerScorer.from_file(path)


def test_evaluation_targets(scorer):
    """The false-positive and detection targets; `python -m bot eval anger` prints the same figures."""
    report = evaluate(scorer, ordinary_messages(), read_lines(ANGRY_SET))
    figures = report.as_dict()
    assert figures["ordinary_messages"] > 400 and figures["angry_messages"] >= 100
    assert figures["false_positive_rate"] < 0.02, figures["false_positives"]
    assert figures["detection_rate"] >= 0.90, figures["missed"]


def test_trainers_marks_join_the_evaluation_sets(tmp_path):
    from bot.handoff.anger_eval import default_sets

    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "anger_labelled.csv").write_text('text,angry\nWORST SHOP EVER,1\n"lovely, thanks",0\n')
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "tests" / "nlu").mkdir(parents=True)
    (tmp_path / "tests" / "nlu" / "test_set.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n')
    ordinary, angry = default_sets(tmp_path)
    assert angry[-1] == "WORST SHOP EVER" and ordinary == ["hi", "lovely, thanks"]
