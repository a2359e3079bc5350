"""Named answers that faq.yml entries can point at."""
from typing import Callable, Dict

from bot.knowledge.answers import payment, returns, shipping, sizing
from bot.knowledge.loader import KnowledgeBase

TOPICS: Dict[str, Callable[[KnowledgeBase], str]] = {
    "returns.overview": returns.overview,
    "returns.how_to_start": lambda kb: kb.returns.how_to_start,
    "returns.exchanges": lambda kb: kb.returns.exchanges,
    "returns.refund_timing": returns.refund_timing,
    "returns.damaged": lambda kb: f"{kb.returns.damaged} {kb.returns.return_shipping.faulty}",
    "returns.wrong_item": lambda kb: kb.returns.wrong_item,
    "returns.gifts": lambda kb: kb.returns.gifts,
    "returns.final_sale": lambda kb: kb.returns.final_sale,
    "shipping.overview": shipping.overview,
    "shipping.processing": lambda kb: kb.shipping.processing.text,
    "shipping.free": shipping.free_overview,
    "shipping.international": shipping.international,
    "shipping.address_change": lambda kb: kb.shipping.address_change,
    "shipping.late_parcel": lambda kb: kb.shipping.late_parcel,
    "shipping.lost_parcel": lambda kb: kb.shipping.lost_parcel,
    "shipping.po_boxes": lambda kb: kb.shipping.po_boxes,
    "sizing.how_to_measure": lambda kb: " ".join(
        f"{k.capitalize()}: {v}" for k, v in kb.sizing.how_to_measure.items()),
    "sizing.shoes": sizing.shoe_chart,
    "sizing.overview": lambda kb: sizing.SIZING_HELP,
    "payment.methods": payment.methods,
    "payment.charged_when": lambda kb: kb.store.payment.charged_when,
    "payment.promo_codes": lambda kb: kb.store.payment.promo_codes,
    "store.contact": lambda kb: (
        f"You can reach our team at {kb.store.support.email} or {kb.store.support.phone}, "
        f"{kb.store.support.hours}."),
}
