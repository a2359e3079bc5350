"""Labels into Rasa NLU YAML, merged with the training data already there."""
import csv
import shutil

import yaml

from bot.nlu_eval import load_examples
from bot.trainer.export import EXPORT_NAME, annotate, export_labels
from bot.trainer.labels import LabelledText
from tests.conftest import project_path


def training_copy(tmp_path):
    nlu = tmp_path / "nlu"
    shutil.copytree(project_path("data", "nlu"), nlu)
    (nlu / EXPORT_NAME).unlink(missing_ok=True)
    return nlu


def labelled(text, intent, angry=None, entities=(), conflict=()):
    return LabelledText(text, intent, list(entities), angry, list(conflict))


def existing_example(nlu, intent):
    return next(text for text, name in load_examples(nlu / "orders.yml") if name == intent)


def test_export_merges_drops_duplicates_and_reports_conflicts(tmp_path):
    nlu = training_copy(tmp_path)
    test_set = project_path("tests", "nlu", "test_set.yml")
    known = existing_example(nlu, "order_status")
    held_out = load_examples(test_set)[0]
    report = export_labels([
        labelled("yo where my stuff at", "order_status"),
        labelled("YO  where my stuff at", "order_status"),                # the same text again
        labelled(known.upper(), "order_status"),                          # already training data
        labelled(known, "cancel_order"),                                  # training data says otherwise
        labelled("is this a joke", None, conflict=["complain", "out_of_scope"]),
        labelled(held_out[0], held_out[1]),                               # in the separate test set
        labelled("my mail is ann.lee@example.com, order TS104233 [urgent]", "inform"),
        labelled("do the alpine parka and the trail jacket run small", "ask_sizing",
                 entities=[{"entity": "product", "value": "alpine parka"},
                           {"entity": "product", "value": "trail jacket"}]),
    ], nlu_dir=nlu, test_set=test_set, anger_file=tmp_path / "anger.csv")
    assert report.exported == 3 and report.duplicates == 2 and report.in_test_set == 1
    assert sorted(c["why"] for c in report.conflicts) == ["the training data says otherwise", "trainers disagree"]
    written = load_examples(nlu / EXPORT_NAME)
    assert ("yo where my stuff at", "order_status") in written
    assert ("my mail is customer@example.com, order TS123456 (urgent)", "inform") in written
    text = (nlu / EXPORT_NAME).read_text()
    assert "ann.lee" not in text and "TS104233" not in text
    assert "[alpine parka](product) and the [trail jacket](product)" in text
    assert yaml.safe_load(text)["version"] == "3.1"


def test_angry_marks_become_an_anger_evaluation_set(tmp_path):
    nlu = training_copy(tmp_path)
    export_labels([labelled("THIS IS RIDICULOUS!!", None, angry=True), labelled("thanks, all good", "thank",
                                                                                angry=False)],
                  nlu_dir=nlu, test_set=tmp_path / "none.yml", anger_file=tmp_path / "anger.csv")
    with (tmp_path / "anger.csv").open() as handle:
        # The shopper's capitals are kept: shouting is one of the scorer's cues.
        assert list(csv.DictReader(handle)) == [{"text": "thanks, all good", "angry": "0"},
                                                {"text": "THIS IS RIDICULOUS!!", "angry": "1"}]


def test_nothing_to_export_leaves_no_empty_file(tmp_path):
    nlu = training_copy(tmp_path)
    (nlu / EXPORT_NAME).write_text("stale")
    report = export_labels([], nlu_dir=nlu, test_set=tmp_path / "none.yml")
    assert report.exported == 0 and not (nlu / EXPORT_NAME).exists()


def test_annotation_marks_each_value_once_in_order():
    assert annotate("harbor chinos or harbor coat", [{"entity": "product", "value": "Harbor Chinos"}]) == \
        "[harbor chinos](product) or harbor coat"
    assert annotate("no such thing", [{"entity": "category", "value": "jackets"}]) == "no such thing"
