"""Sizing: size recommendations from body figures, fit notes, charts and shoe size conversion."""
import re
from dataclasses import dataclass
from typing import Optional

from bot.knowledge.answers import Answer, has_any, which_product
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.matching import Matcher, tokens
from bot.knowledge.schema import Category, Product, SizeChart, SizeRow

SIZING_HELP = (
    "Tell me the product and your height and weight (or chest or waist measurement) and I'll suggest "
    "a size, e.g. \"I'm 175 cm and 70 kg, which size Trail Jacket?\". I can also convert shoe sizes "
    "(US/UK/EU/CN/cm) or show a size chart."
)
CM_PER_INCH = 2.54
KG_PER_LB = 0.45359237

_HEIGHT_CM = re.compile(r"(\d{3}(?:[.,]\d)?)\s*(?:cm|centimet(?:er|re)s?)\b")
_HEIGHT_M = re.compile(r"\b([12][.,]\d{1,2})\s*(?:m|meters?|metres?)\b")
_HEIGHT_FT = re.compile(r"\b([4-7])\s*(?:'|ft|feet|foot)\s*(?:(1[01]|[0-9])(?!\d))?")
_WEIGHT_KG = re.compile(r"(\d{2,3}(?:[.,]\d)?)\s*(?:kg|kgs|kilos?|kilograms?)\b")
_WEIGHT_LB = re.compile(r"(\d{2,3}(?:[.,]\d)?)\s*(?:lb|lbs|pounds?)\b")
_MEASURE = re.compile(r"\b(chest|bust|waist|hips?)\b\D{0,12}?(\d{2,3}(?:[.,]\d)?)\s*(cm|in|inch|inches|\")?")
_SHOE_SIZE = re.compile(r"\b(us|uk|eu|eur|cn|euro)\s*(?:size\s*)?(\d{1,2}(?:[.,]5)?)\b|"
                        r"\b(\d{1,2}(?:[.,]5)?)\s*(us|uk|eu|eur|cn|euro)\b")


@dataclass(frozen=True)
class Body:
    height_cm: Optional[float] = None
    weight_kg: Optional[float] = None

    @property
    def known(self) -> bool:
        return self.height_cm is not None or self.weight_kg is not None


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


def parse_body(text: str) -> Body:
    lowered = text.lower()
    height = weight = None
    if m := _HEIGHT_CM.search(lowered):
        height = _number(m.group(1))
    elif m := _HEIGHT_M.search(lowered):
        height = _number(m.group(1)) * 100
    elif m := _HEIGHT_FT.search(lowered):
        height = (int(m.group(1)) * 12 + int(m.group(2) or 0)) * CM_PER_INCH
    if m := _WEIGHT_KG.search(lowered):
        weight = _number(m.group(1))
    elif m := _WEIGHT_LB.search(lowered):
        weight = _number(m.group(1)) * KG_PER_LB
    if height is not None and not 120 <= height <= 230:
        height = None
    if weight is not None and not 30 <= weight <= 250:
        weight = None
    return Body(height, weight)


def _distance(value: float, bounds) -> float:
    """0 inside the range, otherwise how far outside it, relative to the range's width."""
    low, high = bounds
    width = high - low
    if low <= value <= high:
        centre = (low + high) / 2
        return abs(value - centre) / width * 0.5  # prefer the size whose centre is closest
    return (low - value if value < low else value - high) / width + 0.5


def best_row(chart: SizeChart, **figures: Optional[float]) -> Optional[SizeRow]:
    scored = []
    for row in chart.sizes:
        parts = [
            _distance(value, getattr(row, name))
            for name, value in figures.items()
            if value is not None and getattr(row, name, None) is not None
        ]
        if parts:
            scored.append((sum(parts) / len(parts), row))
    if not scored:
        return None
    return min(scored, key=lambda item: item[0])[1]


def _shift(sizes, size: str, steps: int) -> str:
    if size not in sizes:
        return size
    index = min(max(sizes.index(size) + steps, 0), len(sizes) - 1)
    return sizes[index]


def _range(bounds) -> str:
    low, high = bounds
    return f"{low:g}-{high:g} cm ({low / CM_PER_INCH:.1f}-{high / CM_PER_INCH:.1f} in)"


def chart_for(kb: KnowledgeBase, category: Optional[Category]) -> Optional[SizeChart]:
    if category and category.size_chart:
        return kb.sizing.charts.get(category.size_chart)
    return None


def recommend(kb: KnowledgeBase, product: Optional[Product], category: Optional[Category],
              body: Body, measures: dict) -> Optional[Answer]:
    chart = chart_for(kb, category)
    if chart is None:
        return None
    row = best_row(chart, height=body.height_cm, weight=body.weight_kg, **measures)
    if row is None:
        return None
    size, advice = row.size, ""
    chart_sizes = [r.size for r in chart.sizes]
    if product is not None:
        if product.fit == "runs_small":
            size = _shift(chart_sizes, row.size, +1)
            advice = f" It runs small, so I've gone one size up from your chart size {row.size}."
        elif product.fit == "runs_large" and _is_between(chart, row, body, measures):
            size = _shift(chart_sizes, row.size, -1)
            advice = f" It runs large, and you're at the bottom of {row.size}, so {size} should fit."
        if product.sizes and size not in product.sizes and all(s not in chart_sizes for s in product.sizes):
            size = row.size  # numbered sizes (jeans): the chart's letter size is only a guide
    figures = []
    if body.height_cm:
        figures.append(f"{body.height_cm:.0f} cm")
    if body.weight_kg:
        figures.append(f"{body.weight_kg:.0f} kg")
    figures += [f"{name} {value:g} cm" for name, value in measures.items() if value]
    subject = f"the {product.name}" if product else (category.name.lower() if category else "this")
    details = []
    for name in ("chest", "waist", "hips"):
        bounds = getattr(row, name)
        if bounds:
            details.append(f"{name} {_range(bounds)}")
    text = (
        f"For {subject} I'd recommend size {size}. With {' and '.join(figures)} you're in our "
        f"{row.size} range ({'; '.join(details)}).{advice}"
    )
    if product is not None:
        text += f" Fit note: {product.fit_note}"
        if size not in product.sizes and size in chart_sizes:
            text += f" Note that the {product.name} comes in {', '.join(product.sizes)}."
    return Answer(text)


def _is_between(chart, row, body: Body, measures: dict) -> bool:
    if body.height_cm and row.height:
        return body.height_cm <= row.height[0] + (row.height[1] - row.height[0]) / 3
    return False


def fit_answer(product: Product) -> str:
    lead = {
        "runs_small": f"Yes, the {product.name} runs small.",
        "runs_large": f"No, the {product.name} runs large rather than small.",
        "true_to_size": f"The {product.name} is true to size.",
    }[product.fit]
    return f"{lead} {product.fit_note} Sizes: {', '.join(product.sizes)}."


def chart_text(kb: KnowledgeBase, category: Category) -> str:
    if category.size_chart == "shoes":
        return shoe_chart(kb)
    chart = chart_for(kb, category)
    if chart is None:
        return f"{category.name} are one size or sized as described on each product page."
    rows = []
    for row in chart.sizes:
        parts = [f"{name} {_range(getattr(row, name))}" for name in ("chest", "waist", "hips") if getattr(row, name)]
        if row.shoe:
            parts.append(row.shoe)
        rows.append(f"{row.size}: {', '.join(parts)}")
    measure = " ".join(kb.sizing.how_to_measure[m] for m in chart.measure if m in kb.sizing.how_to_measure)
    return f"{chart.name}. " + "; ".join(rows) + f". {measure}"


def shoe_chart(kb: KnowledgeBase) -> str:
    rows = "; ".join(
        f"US {s.us_men:g} (women's {s.us_women:g}) = UK {s.uk:g} = EU {s.eu:g} = CN {s.cn:g} = {s.cm:g} cm"
        for s in kb.sizing.shoes
    )
    return f"Our shoes are labelled in US men's sizes. {rows}. {kb.sizing.how_to_measure['foot']}"


def convert_shoe(kb: KnowledgeBase, text: str) -> Optional[str]:
    m = _SHOE_SIZE.search(text.lower())
    if not m:
        return None
    system = (m.group(1) or m.group(4)).replace("eur", "eu").replace("euro", "eu")
    value = _number(m.group(2) or m.group(3))
    field = {"us": "us_men", "uk": "uk", "eu": "eu", "cn": "cn"}[system]
    if "women" in text.lower() and system == "us":
        field = "us_women"
    row = min(kb.sizing.shoes, key=lambda s: abs(getattr(s, field) - value))
    if abs(getattr(row, field) - value) > 1:
        return f"{system.upper()} {value:g} is outside our range. {shoe_chart(kb)}"
    return (
        f"{system.upper()} {value:g} is US men's {row.us_men:g} (US women's {row.us_women:g}), UK {row.uk:g}, "
        f"EU {row.eu:g}, CN {row.cn:g}, about {row.cm:g} cm foot length. Our shoes are labelled in US men's sizes."
    )


def answer(kb: KnowledgeBase, matcher: Matcher, text: str, named_product: Optional[str] = None) -> Answer:
    words = tokens(text)
    resolution = matcher.resolve_product(text, named_product)
    if resolution.ambiguous:
        return which_product("ask_sizing", resolution.candidates, "sizing")
    product = resolution.product
    category = kb.category_of(product) if product else matcher.find_category(text)
    body = parse_body(text)
    measures = {}
    for name, value, unit in _MEASURE.findall(text.lower()):
        key = {"bust": "chest", "hip": "hips"}.get(name, name)
        number = _number(value)
        measures[key] = number * CM_PER_INCH if unit in ("in", "inch", "inches", '"') else number

    is_shoe = category is not None and category.size_chart == "shoes"
    if (body.known or measures) and not is_shoe:
        if category is None:
            category = kb.categories.get("jackets")  # body figures without a garment: the tops chart
        recommendation = recommend(kb, product, category, body, measures)
        if recommendation:
            return recommendation
    conversion = convert_shoe(kb, text)
    if conversion:
        suffix = f" {fit_answer(product)}" if product else ""
        return Answer(conversion + suffix)
    if product is not None:
        if has_any(words, "chart", "measurements", "size guide"):
            return Answer(f"{fit_answer(product)} {chart_text(kb, kb.category_of(product))}")
        return Answer(fit_answer(product))
    if has_any(words, "measure", "measuring"):
        guide = " ".join(f"{k.capitalize()}: {v}" for k, v in kb.sizing.how_to_measure.items())
        return Answer(guide)
    if category is not None:
        return Answer(chart_text(kb, category))
    if has_any(words, "shoe", "shoes", "conversion", "convert"):
        return Answer(shoe_chart(kb))
    return Answer(SIZING_HELP)
