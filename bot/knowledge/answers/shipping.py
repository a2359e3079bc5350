"""Shipping and logistics: methods, prices, times, duties, address changes, late and lost parcels."""
from typing import Optional

from bot.knowledge.answers import Answer, has_any, money
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matching import Matcher, tokens
from bot.knowledge.schema import ShippingMethod, ShippingRegion


def _days(method: ShippingMethod) -> str:
    low, high = method.days
    if low == high:
        return f"{low} business day{'s' if low != 1 else ''}"
    return f"{low}-{high} business days"


def method_line(method: ShippingMethod) -> str:
    return f"{method.name} {money(method.price_cents)} ({_days(method)}, {method.carrier})"


def free_sentence(region: ShippingRegion) -> str:
    if region.free_over_cents is None:
        return f"There's no free shipping to {region.name}."
    return f"Standard shipping to {region.name} is free on orders over {money(region.free_over_cents)}."


def method_answer(region: ShippingRegion, method: ShippingMethod) -> str:
    return (f"{method.name} shipping to {region.name} costs {money(method.price_cents)} and takes "
            f"{_days(method)} after dispatch with {method.carrier}. {free_sentence(region)} {region.duties}")


def region_summary(region: ShippingRegion) -> str:
    methods = "; ".join(method_line(m) for m in region.methods)
    return f"To {region.name}: {methods}. {free_sentence(region)}"


def overview(kb: KnowledgeBase) -> str:
    home = kb.shipping.regions[0]
    others = ", ".join(r.name for r in kb.shipping.regions[1:])
    return (
        f"{region_summary(home)} We also ship to {others}: tell me where and I'll give you prices. "
        f"{kb.shipping.processing.text}"
    )


def free_overview(kb: KnowledgeBase) -> str:
    return " ".join(free_sentence(r) for r in kb.shipping.regions)


def international(kb: KnowledgeBase) -> str:
    duties = " ".join(f"{r.name[0].upper()}{r.name[1:]}: {r.duties}" for r in kb.shipping.regions[1:])
    return f"Yes, we ship worldwide. {duties}"


def answer(kb: KnowledgeBase, matcher: Matcher, text: str) -> Answer:
    words = tokens(text)
    s = kb.shipping
    region: Optional[ShippingRegion] = matcher.find_shipping_region(text)
    method_id = matcher.find_shipping_method(text)

    if has_any(words, "address", "redirect", "moved", "wrong address"):
        return Answer(s.address_change)
    if has_any(words, "lost", "stolen", "missing", "never arrived", "says delivered", "marked delivered"):
        return Answer(s.lost_parcel)
    if has_any(words, "late", "delayed", "delay", "still not", "hasn't arrived", "hasnt arrived", "not arrived"):
        return Answer(f"{s.late_parcel} If you give me your order number I can check where it is.")
    if has_any(words, "po box", "apo", "fpo", "p o box"):
        return Answer(s.po_boxes)
    if has_any(words, "duty", "duties", "customs", "tax", "taxes", "import", "vat"):
        if region:
            return Answer(f"For {region.name}: {region.duties}")
        return Answer(international(kb))
    if has_any(words, "cutoff", "cut off", "cut-off", "dispatch", "dispatched", "same day", "when do you ship",
               "when will it ship", "processing", "leave the warehouse"):
        return Answer(s.processing.text)
    if has_any(words, "track", "tracking", "tracking number"):
        return Answer(s.tracking)
    if has_any(words, "free") and not method_id:
        return Answer(free_sentence(region) if region else free_overview(kb))
    if has_any(words, "carrier", "carriers", "courier", "ups", "usps", "dhl", "fedex") and not method_id:
        target = [region] if region else s.regions
        carriers = "; ".join(f"{r.name}: " + ", ".join(sorted({m.carrier for m in r.methods})) for r in target)
        return Answer(f"Our carriers by destination: {carriers}.")
    if has_any(words, "international", "internationally", "worldwide", "abroad", "overseas") and not region:
        return Answer(international(kb))

    if region is None and method_id is None:
        return Answer(overview(kb))
    region = region or s.regions[0]
    if method_id:
        method = next((m for m in region.methods if m.id == method_id), None)
        if method is None:
            offered = ", ".join(m.name for m in region.methods)
            return Answer(f"We don't offer that option to {region.name}; we offer {offered}. "
                          f"{region_summary(region)}")
        return Answer(method_answer(region, method))
    return Answer(f"{region_summary(region)} {region.duties}")
