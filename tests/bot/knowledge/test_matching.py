import pytest


@pytest.mark.parametrize("text, expected", [
    ("does the alpin parka run small", "Alpine Parka"),
    ("ALPINE PARKA", "Alpine Parka"),
    ("which size trail jacket", "Trail Jacket"),
    ("cloudstep", "Cloudstep Sneaker"),
    ("summit boots sizing", "Summit Hiking Boot"),
    ("the tempo road runnr", "Tempo Road Runner"),
])
def test_products_resolve_despite_typos(knowledge, text, expected):
    resolution = knowledge.matcher.resolve_product(text)
    assert resolution.product is not None and resolution.product.name == expected


@pytest.mark.parametrize("text, names", [
    ("can i return the harbor", {"Harbor Chinos", "Harbor Chelsea Boot", "Harbor Wool Coat"}),
    ("merino size", {"Merino Trail Tee", "Merino Boxer Brief"}),
    ("summit", {"Summit Hiking Boot", "Summit Hiking Socks"}),
])
def test_equal_matches_are_ambiguous(knowledge, text, names):
    resolution = knowledge.matcher.resolve_product(text)
    assert resolution.ambiguous
    assert {p.name for p in resolution.candidates} == names


@pytest.mark.parametrize("text", ["what is your return policy", "how much is shipping", "", "🙂🙂", "<b>hi</b>"])
def test_no_product_in_general_questions(knowledge, text):
    resolution = knowledge.matcher.resolve_product(text)
    assert resolution.product is None and not resolution.ambiguous


def test_button_payload_names_the_product_exactly(knowledge):
    assert knowledge.matcher.resolve_product("/ask_sizing", named="Harbor Wool Coat").product.sku == "TS-PRK-003"


@pytest.mark.parametrize("text, category", [
    ("can i return worn sneekers", "sneakers"),
    ("do trainers run small", "sneakers"),
    ("return policy for swim shorts", "swimwear"),
    ("size chart for hiking boots", "boots"),
    ("jeans size", "jeans"),
])
def test_categories_resolve_by_synonym_and_typo(knowledge, text, category):
    assert knowledge.matcher.find_category(text).id == category


@pytest.mark.parametrize("text, region", [
    ("express shipping to canada", "ca"), ("ship to the uk", "uk"), ("delivery to germany", "eu"),
    ("shipping to austrailia", "au"), ("do you ship to japan", "world"), ("shipping cost", None),
    ("can you send it to us", None),  # "us" the pronoun is not the United States
])
def test_shipping_regions(knowledge, text, region):
    found = knowledge.matcher.find_shipping_region(text)
    assert (found.id if found else None) == region


def test_short_synonyms_need_an_exact_word(knowledge):
    assert knowledge.matcher.find_shipping_region("shipping to eu") .id == "eu"
    assert knowledge.matcher.find_shipping_region("shipping to euro land") is None
