"""Returns, exchanges and refunds."""
from typing import Optional

from bot.knowledge.answers import Answer, has_any, which_product
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matching import Matcher, tokens
from bot.knowledge.schema import Category, Product


def window_sentence(kb: KnowledgeBase, category: Optional[Category], subject: str) -> str:
    days = kb.return_window_days(category.id if category else None)
    return f"You can return {subject} within {days} days of delivery."


def condition_text(kb: KnowledgeBase, category: Optional[Category]) -> str:
    if category is None:
        return kb.returns.conditions.general
    return kb.returns.conditions.by_group[category.group]


def product_policy(kb: KnowledgeBase, product: Product) -> str:
    category = kb.category_of(product)
    if product.final_sale:
        return f"The {product.name} is a Final Sale item. {kb.returns.final_sale}"
    return " ".join([
        window_sentence(kb, category, f"the {product.name}"),
        condition_text(kb, category),
    ])


def overview(kb: KnowledgeBase) -> str:
    r = kb.returns
    return (
        f"You can return most items within {r.standard_window_days} days of delivery "
        f"({_override_summary(kb)}). {r.conditions.general} {r.return_shipping.domestic} "
        f"{r.how_to_start}"
    )


def _override_summary(kb: KnowledgeBase) -> str:
    by_days = {}
    for category_id, days in kb.returns.window_overrides.items():
        by_days.setdefault(days, []).append(kb.categories[category_id].name.lower())
    return "; ".join(f"{', '.join(names)}: {days} days" for days, names in sorted(by_days.items()))


def refund_timing(kb: KnowledgeBase, method=None) -> str:
    refunds = kb.returns.refunds
    if method is not None:
        return f"{refunds.timing} Paid by {method.name}: {method.time}."
    lines = "; ".join(f"{m.name}: {m.time}" for m in refunds.methods)
    return f"{refunds.timing} By payment method: {lines}."


def return_shipping(kb: KnowledgeBase) -> str:
    rs = kb.returns.return_shipping
    return f"{rs.domestic} {rs.international} {rs.faulty}"


def answer(kb: KnowledgeBase, matcher: Matcher, text: str, named_product: Optional[str] = None) -> Answer:
    words = tokens(text)
    resolution = matcher.resolve_product(text, named_product)
    if resolution.ambiguous:
        return which_product("ask_return_policy", resolution.candidates, "returns")
    product = resolution.product
    category = kb.category_of(product) if product else matcher.find_category(text)
    subject = f"the {product.name}" if product else (category.name.lower() if category else "items")
    r = kb.returns

    if has_any(words, "damaged", "broken", "faulty", "defective", "ripped", "torn", "fell apart", "stain"):
        return Answer(f"{r.damaged} {r.return_shipping.faulty}")
    if has_any(words, "wrong", "not what i ordered", "different item"):
        return Answer(r.wrong_item)
    if has_any(words, "gift", "present", "gifted"):
        return Answer(r.gifts)
    if has_any(words, "exchange", "swap", "exchanges", "different size", "bigger size", "smaller size"):
        return Answer(f"{r.exchanges} {window_sentence(kb, category, subject)}")
    if has_any(words, "refund", "refunds", "refunded", "money back"):
        return Answer(refund_timing(kb, matcher.find_refund_method(text)))
    region = matcher.find_return_region(text)
    if region is not None:
        return Answer(f"{region.rule} {window_sentence(kb, category, subject)}")
    if has_any(words, "label", "cost", "costs", "free", "pay for", "shipping", "postage", "fee"):
        return Answer(return_shipping(kb))
    if has_any(words, "how do i", "start", "how to", "process", "where do i send"):
        return Answer(r.how_to_start)
    if has_any(words, "sale", "final", "clearance", "discounted"):
        if product and product.final_sale:
            return Answer(product_policy(kb, product))
        if product:
            return Answer(f"The {product.name} is not a Final Sale item. {product_policy(kb, product)}")
        return Answer(r.final_sale)
    if product:
        return Answer(product_policy(kb, product))
    if has_any(words, "worn", "wore", "used", "washed", "wearing", "tried", "outside", "outdoors"):
        return Answer(f"{condition_text(kb, category)} {window_sentence(kb, category, subject)}")
    if category:
        return Answer(f"{window_sentence(kb, category, category.name.lower())} {condition_text(kb, category)}")
    return Answer(overview(kb))
