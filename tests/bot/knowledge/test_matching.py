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


def _every_product(matcher, text):
    """The product search as plainly as it can be written: every product against every typed word. The
    matcher's word index must give exactly these answers."""
    from rapidfuzz import fuzz

    from bot.knowledge.matching import CONFIDENT, STOPWORDS, TIE_MARGIN, TOKEN_MATCH, ProductResolution, tokens

    typed = [t for t in tokens(text) if t not in STOPWORDS]

    def best(word):
        return max((fuzz.ratio(word, candidate) for candidate in typed), default=0.0)
    scored = []
    for sku, (name_tokens, distinctive) in matcher._product_tokens.items():
        if any(best(t) >= TOKEN_MATCH for t in distinctive):
            ratios = [best(t) for t in name_tokens]
            scored.append((sum(r for r in ratios if r >= TOKEN_MATCH) / len(name_tokens), matcher.kb.products[sku]))
    if not scored:
        return ProductResolution()
    scored.sort(key=lambda item: item[0], reverse=True)
    tied = tuple(p for s, p in scored if s >= scored[0][0] - TIE_MARGIN)
    if len(tied) == 1 and (scored[0][0] >= CONFIDENT or len(scored) == 1):
        return ProductResolution(product=tied[0])
    return ProductResolution(candidates=(tied if len(tied) > 1 else tuple(p for _, p in scored))[:5])


def test_the_word_index_answers_as_comparing_every_product(kb):
    import random

    from bench.components import QUERIES, big_catalog
    from bot.knowledge import Knowledge
    from bot.nlu_eval import load_examples
    from tests.conftest import project_path

    rng = random.Random(1)
    texts = [t for path in project_path("data", "nlu").glob("*.yml") for t, _ in load_examples(path)] + QUERIES
    for product in kb.products.values():
        name = product.name.lower()
        cut = rng.randrange(len(name))
        texts += [name[:cut] + name[cut + 1:], "the " + name.split()[0]]
    for catalog, sample in ((kb, texts), (big_catalog(kb, 2000), texts[::5])):
        matcher = Knowledge(catalog).matcher
        for text in sample:
            expected, got = _every_product(matcher, text), matcher.resolve_product(text)
            assert (got.product, got.candidates) == (expected.product, expected.candidates), text
