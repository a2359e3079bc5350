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


# Shop questions written for this test, six per language the word lists cover.
SHOP_QUESTIONS = {
    "de": ["Wo ist meine Bestellung?", "Kann ich die Schuhe zurückschicken?", "Wie lange dauert die Lieferung nach "
           "Österreich?", "Welche Größe soll ich nehmen?", "Ich möchte mit einem Mitarbeiter sprechen",
           "Hallo, ich habe eine Frage zu meiner Bestellung"],
    "fr": ["Où est ma commande ?", "Est-ce que je peux retourner ma veste ?", "Combien coûte la livraison en France ?",
           "Quelle taille dois-je prendre ?", "Je voudrais parler à quelqu'un", "Bonjour, j'ai une question sur ma "
           "commande"],
    "es": ["¿Dónde está mi pedido?", "¿Puedo devolver las zapatillas?", "¿Cuánto tarda el envío a México?",
           "¿Qué talla me recomiendas?", "Quiero hablar con una persona", "Hola, tengo una pregunta sobre mi pedido"],
    "it": ["Dove è il mio ordine?", "Posso restituire la giacca?", "Quanto costa la spedizione in Italia?",
           "Che taglia mi consigliate?", "Vorrei parlare con una persona", "Ciao, ho una domanda sul mio ordine"],
    "nl": ["Waar is mijn bestelling?", "Kan ik de schoenen terugsturen?", "Hoe lang duurt de verzending naar België?",
           "Welke maat moet ik nemen?", "Ik wil met een medewerker spreken", "Hallo, ik heb een vraag over mijn "
           "bestelling"],
    "pt": ["Onde está a minha encomenda?", "Posso devolver o casaco?", "Quanto custa o envio para o Brasil?",
           "Que tamanho devo escolher?", "Quero falar com uma pessoa", "Olá, tenho uma pergunta sobre o meu pedido"],
}


@pytest.mark.parametrize("language", sorted(SHOP_QUESTIONS))
def test_shop_questions_in_each_language_are_recognised(language):
    assert [foreign_language(text) for text in SHOP_QUESTIONS[language]] == [language] * 6


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
    faq = yaml.safe_load(project_path("knowledge_base", "faq.yml").read_text())
    return (texts + [product["name"] for product in catalog["products"]]
            + [question for entry in faq["entries"] for question in entry["questions"]])


def test_no_training_or_test_text_is_taken_for_a_foreign_language():
    texts = _english_texts()
    assert len(texts) > 500
    assert [(text, foreign_language(text)) for text in texts if foreign_language(text)] == []


def test_an_email_is_looked_for_once_per_run_of_characters_so_long_inputs_take_linear_work():
    """`\\S+@\\S+` tried a match at every position of a space-less message and scanned the rest of it each
    time (quadratic). The email pattern now starts with a one-character look-behind, so inside a run of
    non-space characters it fails at once and only a run's first character starts a scan."""
    from bot.chat.language import _EMAIL_NOISE

    assert _EMAIL_NOISE.pattern.startswith(r"(?<![^\s@])")  # the O(1) check comes before any repetition
    run = "a" * 1999 + "@"
    assert all(_EMAIL_NOISE.match(run, start) is None for start in range(1, len(run)))
    assert _EMAIL_NOISE.match("aaaa@b", 1) is None and _EMAIL_NOISE.match("aaaa@b", 0).group() == "aaaa@b"
    assert detect("a" * 2000) == detect("a1" * 1000) == detect("@" * 2000) == "en"


def test_email_addresses_are_still_left_out_of_the_reading():
    from bot.chat.language import _NOISE

    for address in ("der.die.das@beispiel.de", "x@@y", "le+la@la.fr"):
        assert _NOISE.sub(" ", f"meine {address} bitte").split() == ["meine", "bitte"]
    assert foreign_language("schreiben Sie an der.die@das.de") is None  # the address does not count
