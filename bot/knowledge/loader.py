"""Load and validate the knowledge base once; a broken file stops start-up with file, path and reason."""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Type

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge import schema

FILES: Dict[str, Type[BaseModel]] = {
    "store.yml": schema.Store,
    "categories.yml": schema.Categories,
    "catalog.yml": schema.Catalog,
    "returns.yml": schema.Returns,
    "shipping.yml": schema.Shipping,
    "sizing.yml": schema.Sizing,
    "faq.yml": schema.Faq,
}


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.reason}"


class KnowledgeBaseError(Exception):
    """Raised with every problem found, so a trainer can fix all of them in one go."""

    def __init__(self, problems: List[Problem]):
        self.problems = problems
        super().__init__("knowledge base is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class KnowledgeBase:
    store: schema.Store
    categories: Dict[str, schema.Category]
    products: Dict[str, schema.Product]
    returns: schema.Returns
    shipping: schema.Shipping
    sizing: schema.Sizing
    faq: schema.Faq

    def category_of(self, product: schema.Product) -> schema.Category:
        return self.categories[product.category]

    def return_window_days(self, category_id: Optional[str]) -> int:
        overrides = self.returns.window_overrides
        if category_id and category_id in overrides:
            return overrides[category_id]
        return self.returns.standard_window_days


def _message(error: dict) -> str:
    """pydantic's message, without the "Value error, " it puts before our own validators' words."""
    message = error["msg"]
    return message[len("Value error, "):] if error.get("type") == "value_error" and \
        message.startswith("Value error, ") else message


def _format_loc(loc) -> str:
    parts = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _read(directory: Path, name: str, model: Type[BaseModel], problems: List[Problem]):
    path = directory / name
    if not path.is_file():
        problems.append(Problem(name, "", "file is missing"))
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(name, where, f"not valid YAML ({getattr(error, 'problem', error)})"))
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(name, "", f"cannot be read ({error})"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(name, "", "expected a mapping at the top level"))
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            problems.append(Problem(name, _format_loc(item["loc"]), _message(item)))
        return None


def _cross_check(parts: dict, problems: List[Problem]) -> None:
    categories = {c.id: c for c in parts["categories.yml"].categories}
    charts = parts["sizing.yml"].charts
    for index, category in enumerate(parts["categories.yml"].categories):
        if category.size_chart and category.size_chart not in charts and category.size_chart != "shoes":
            problems.append(Problem("categories.yml", f"categories[{index}].size_chart",
                                    f"unknown size chart '{category.size_chart}'"))
    seen_skus, seen_names = set(), set()
    for index, product in enumerate(parts["catalog.yml"].products):
        where = f"products[{index}]"
        if product.category not in categories:
            problems.append(Problem("catalog.yml", f"{where}.category", f"unknown category '{product.category}'"))
        if product.sku in seen_skus:
            problems.append(Problem("catalog.yml", f"{where}.sku", f"duplicate SKU '{product.sku}'"))
        if product.name.lower() in seen_names:
            problems.append(Problem("catalog.yml", f"{where}.name", f"duplicate name '{product.name}'"))
        seen_skus.add(product.sku)
        seen_names.add(product.name.lower())
    for category_id in parts["returns.yml"].window_overrides:
        if category_id not in categories:
            problems.append(Problem("returns.yml", f"window_overrides.{category_id}", "unknown category"))
    upgrade = parts["store.yml"].compensation.free_upgrade
    home = parts["shipping.yml"].regions[0]
    if upgrade not in {method.id for method in home.methods}:
        problems.append(Problem("store.yml", "compensation.free_upgrade",
                                f"{home.name} has no '{upgrade}' shipping method to offer"))
    from bot.knowledge.topics import TOPICS  # the answers the FAQ may point at

    for index, entry in enumerate(parts["faq.yml"].entries):
        if entry.topic and entry.topic not in TOPICS:
            problems.append(Problem("faq.yml", f"entries[{index}].topic", f"unknown topic '{entry.topic}'"))


def load_knowledge_base(directory: Path) -> KnowledgeBase:
    directory = Path(directory)
    problems: List[Problem] = []
    parts = {name: _read(directory, name, model, problems) for name, model in FILES.items()}
    if not problems:
        _cross_check(parts, problems)
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(
        store=parts["store.yml"],
        categories={c.id: c for c in parts["categories.yml"].categories},
        products={p.sku: p for p in parts["catalog.yml"].products},
        returns=parts["returns.yml"],
        shipping=parts["shipping.yml"],
        sizing=parts["sizing.yml"],
        faq=parts["faq.yml"],
    )
