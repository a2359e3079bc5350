"""The language detector: honest about foreign messages, and never about English ones."""
from pathlib import Path

import pytest
import yaml

from bot.chat.language import detect, foreign_language
from bot.nlu_eval import load_examples
from tests.conftest import project_path


@pytest.mark.parametrize("text, language", [
    ("Was kostet der Versand nach Deutschland?", "de"),
    ("Wo ist meine Bestellung?", "de"),
    ("ich möchte meine Bestellung stornieren", "de"),
    ("Je voudrais retourner mes chaussures", "fr"),
    ("¿Cuánto cuesta el envío a España?", "es"),
    ("Quanto costa la spedizione in Italia?", "it"),
    ("Wat kost de verzending naar Nederland?", "nl"),
    ("Quanto custa o envio para Portugal?", "pt"),
    ("运费是多少？", "zh"),
    ("送料はいくらですか", "ja"),
    ("Сколько стоит доставка?", "ru"),
    ("배송비는 얼마인가요?", "ko"),
    ("كم تكلفة الشحن؟", "ar"),
])
def test_foreign_messages_are_recognised(text, language):
    assert foreign_language(text) == language


@pytest.mark.parametrize("text", [
    "", None, "hi", "hallo", "danke", "ok", "TS104233", "where is my order TS104233", "jane.doe@example.de",
    "🙂🙂🙂 👟❓", "Harbor Wool Coat", "alpin parka", "danke, where is my order?",
    "is the Trail Jacket waterproof? merci", "can I return worn sneakers?", "send it to 10115 Berlin",
])
def test_english_short_and_mixed_messages_stay_english(text):
    assert foreign_language(text) is None and detect(text) == "en"


def _english_texts():
    texts = [text for text, _ in load_examples(project_path("tests", "nlu", "test_set.yml"))]
    for path in sorted(Path(project_path("data", "nlu")).glob("*.yml")):
        texts += [text for text, _ in load_examples(path)]
    catalog = yaml.safe_load(project_path("knowledge_base", "catalog.yml").read_text())
    return texts + [product["name"] for product in catalog["products"]]


def test_no_training_or_test_text_is_taken_for_a_foreign_language():
    texts = _english_texts()
    assert len(texts) > 500
    assert [(text, foreign_language(text)) for text in texts if foreign_language(text)] == []
