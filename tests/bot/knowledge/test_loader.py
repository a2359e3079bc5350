import shutil
import subprocess
import sys

import pytest

from bot.knowledge import KnowledgeBaseError, load_knowledge_base
from bot.settings import PROJECT_ROOT

SOURCE = PROJECT_ROOT / "knowledge_base"


@pytest.fixture()
def kb_copy(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(SOURCE, target)
    return target


def problems_of(directory):
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(directory)
    return caught.value.problems


def test_shipped_knowledge_base_is_valid_and_complete(kb):
    assert len(kb.products) >= 40
    assert {"footwear", "outerwear", "tops", "bottoms", "intimates"} <= {c.group for c in kb.categories.values()}
    assert kb.returns.standard_window_days == 30
    assert {r.id for r in kb.returns.regions} >= {"eu"}
    assert kb.sizing.shoes and "tops" in kb.sizing.charts


def test_every_product_category_and_size_chart_resolves(kb):
    for product in kb.products.values():
        category = kb.category_of(product)
        assert category.size_chart is None or category.size_chart == "shoes" or category.size_chart in kb.sizing.charts


def test_broken_yaml_names_file_and_line(kb_copy):
    (kb_copy / "shipping.yml").write_text("regions:\n  - id: us\n    name: [unclosed\n")
    [problem] = problems_of(kb_copy)
    assert problem.file == "shipping.yml"
    assert "line" in problem.path and "YAML" in problem.reason


def test_missing_field_names_the_path(kb_copy):
    text = (kb_copy / "catalog.yml").read_text()
    (kb_copy / "catalog.yml").write_text(text.replace("fit: true_to_size, ", "", 1))
    problems = problems_of(kb_copy)
    assert any(p.file == "catalog.yml" and p.path.startswith("products[0]") and "fit" in p.path for p in problems)


def test_unknown_category_and_negative_price_are_reported_together(kb_copy):
    text = (kb_copy / "catalog.yml").read_text()
    text = text.replace("category: sneakers, price: 89.00", "category: sneakerz, price: -1", 1)
    (kb_copy / "catalog.yml").write_text(text)
    problems = problems_of(kb_copy)
    reasons = " | ".join(str(p) for p in problems)
    assert "products[0].price" in reasons
    # cross-checks only run once every file has the right shape
    text = text.replace("price: -1", "price: 89.00", 1)
    (kb_copy / "catalog.yml").write_text(text)
    assert "unknown category 'sneakerz'" in str(problems_of(kb_copy)[0])


def test_typo_in_a_key_is_refused(kb_copy):
    text = (kb_copy / "returns.yml").read_text().replace("exchanges:", "exchangs:", 1)
    (kb_copy / "returns.yml").write_text(text)
    paths = {p.path for p in problems_of(kb_copy)}
    assert "exchangs" in paths and "exchanges" in paths


def test_missing_file(kb_copy):
    (kb_copy / "sizing.yml").unlink()
    [problem] = problems_of(kb_copy)
    assert problem.file == "sizing.yml" and problem.reason == "file is missing"


def test_faq_topic_must_exist(kb_copy):
    text = (kb_copy / "faq.yml").read_text().replace("topic: returns.gifts", "topic: returns.giftz", 1)
    (kb_copy / "faq.yml").write_text(text)
    assert "unknown topic 'returns.giftz'" in str(problems_of(kb_copy)[0])


def test_adding_a_product_needs_no_code(kb_copy):
    with (kb_copy / "catalog.yml").open("a") as handle:
        handle.write("  - {sku: TS-BOT-099, name: Fjord Rain Boot, category: boots, price: 120.00, "
                     "sizes: [US 8, US 9], fit: runs_small, fit_note: Size up., materials: [rubber]}\n")
    (kb_copy / "returns.yml").write_text(
        (kb_copy / "returns.yml").read_text().replace("  accessories: 60", "  accessories: 60\n  boots: 45"))
    kb = load_knowledge_base(kb_copy)
    from bot.knowledge import Knowledge

    answer = Knowledge(kb).returns("can i return the fjord rain boot")
    assert "Fjord Rain Boot within 45 days" in answer.text


def test_check_kb_command_reports_without_traceback(kb_copy):
    (kb_copy / "store.yml").write_text("name: Shop\ncurrency: EUR\n")
    result = subprocess.run([sys.executable, "-m", "bot", "check-kb", str(kb_copy)], capture_output=True,
                            text=True, cwd=PROJECT_ROOT)
    assert result.returncode == 1
    assert "store.yml: currency" in result.stderr
    assert "Traceback" not in result.stderr


def test_numbers_where_text_is_expected_are_read_as_text(kb_copy):
    with (kb_copy / "catalog.yml").open("a") as handle:
        handle.write("  - {sku: TS-BOT-098, name: Fjord Trail Pant, category: boots, price: 80, "
                     "sizes: [28, 30, 32], fit: true_to_size, fit_note: Regular., materials: [nylon]}\n")
    product = load_knowledge_base(kb_copy).products["TS-BOT-098"]
    assert product.sizes == ["28", "30", "32"]


def test_our_own_rules_are_reported_in_their_words_with_every_other_problem(kb_copy):
    store = (kb_copy / "store.yml").read_text().replace('closes: "18:00"', 'closes: "08:00"')
    (kb_copy / "store.yml").write_text(store)
    shipping = (kb_copy / "shipping.yml").read_text().replace("days: [3, 5]", "days: [5, 3]", 1)
    (kb_copy / "shipping.yml").write_text(shipping)
    faq = (kb_copy / "faq.yml").read_text().replace(
        "  - topic: returns.overview\n    questions:", "  - colour: blue\n    questions:", 1)
    (kb_copy / "faq.yml").write_text(faq)
    problems = {(p.file, p.path, p.reason) for p in problems_of(kb_copy)}
    assert ("store.yml", "support.schedule.closes", "closes must be after opens") in problems
    assert any(f == "shipping.yml" and w.endswith("methods[0].days") and m == "days must be [fastest, slowest]"
               for f, w, m in problems)
    # An entry with an unknown key and neither topic nor answer: both problems, each at its place.
    assert ("faq.yml", "entries[0].answer", "an entry needs a topic or an answer") in problems
    assert any(f == "faq.yml" and w == "entries[0].colour" for f, w, _ in problems)


def test_compensation_amounts_are_read_and_checked(kb, kb_copy):
    offer = kb.store.compensation
    assert (offer.free_upgrade, offer.store_credit_cents, offer.store_credit_months, offer.refund_percent) == \
        ("express", 1000, 12, 15)
    store = (kb_copy / "store.yml").read_text()
    (kb_copy / "store.yml").write_text(store.replace("store_credit: 10.00", "store_credit: -5", 1)
                                       .replace("refund_percent: 15", "refund_percent: 150", 1))
    paths = {p.path for p in problems_of(kb_copy)}
    assert {"compensation.store_credit", "compensation.refund_percent"} <= paths


def test_the_free_upgrade_must_be_a_method_the_home_region_offers(kb_copy):
    shipping = (kb_copy / "shipping.yml").read_text().replace(
        "      - {id: express, name: Express, price: 14.95, days: [1, 2], carrier: UPS}\n", "", 1)
    (kb_copy / "shipping.yml").write_text(shipping)
    [problem] = problems_of(kb_copy)
    assert (problem.file, problem.path) == ("store.yml", "compensation.free_upgrade")
    assert "no 'express' shipping method" in problem.reason
