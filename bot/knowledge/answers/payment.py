"""Payment methods and billing questions."""
from bot.knowledge.answers import Answer, has_any
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matching import tokens


def methods(kb: KnowledgeBase) -> str:
    return "We accept: " + "; ".join(kb.store.payment.methods) + "."


def answer(kb: KnowledgeBase, text: str) -> Answer:
    words = tokens(text)
    p = kb.store.payment
    if has_any(words, "charged", "charge", "when do you take", "twice", "authorised", "authorized", "pending"):
        return Answer(p.charged_when)
    if has_any(words, "promo", "discount", "coupon", "code", "voucher code"):
        return Answer(p.promo_codes)
    if has_any(words, "currency", "currencies", "euro", "euros", "pounds", "dollars", "convert"):
        return Answer(p.currencies)
    if has_any(words, "safe", "secure", "security", "store my card"):
        return Answer(p.security)
    return Answer(f"{methods(kb)} {p.charged_when}")
