"""The demo storefront: a product grid from the knowledge-base catalog, product pages with their size
chart, and the chat widget on every page. Also what a shop needs to embed the widget elsewhere."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.chat.identity import sign_identity
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Product

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class SizeTable:
    caption: str
    headers: Tuple[str, ...]
    rows: Tuple[Tuple[str, ...], ...]


def _range(values) -> str:
    return "" if values is None else f"{values[0]:g}-{values[1]:g}"


def size_table(kb: KnowledgeBase, product: Product) -> Optional[SizeTable]:
    """The size chart that applies to the product, as rows ready to show (cm, as in sizing.yml)."""
    chart_id = kb.category_of(product).size_chart
    if chart_id == "shoes":
        return SizeTable("Shoe sizes (our shoes are labelled in US men's sizes)",
                         ("US men", "US women", "UK", "EU", "CN", "foot length (cm)"),
                         tuple((f"{s.us_men:g}", f"{s.us_women:g}", f"{s.uk:g}", f"{s.eu:g}", f"{s.cn:g}",
                                f"{s.cm:g}") for s in kb.sizing.shoes))
    chart = kb.sizing.charts.get(chart_id) if chart_id else None
    if chart is None:
        return None
    columns = [c for c in ("chest", "waist", "hips", "height", "weight", "shoe")
               if any(getattr(row, c) is not None for row in chart.sizes)]
    units = {"chest": "chest (cm)", "waist": "waist (cm)", "hips": "hips (cm)", "height": "height (cm)",
             "weight": "weight (kg)", "shoe": "shoe size"}
    rows = tuple((row.size,) + tuple(getattr(row, c) if c == "shoe" else _range(getattr(row, c))
                                     for c in columns) for row in chart.sizes)
    return SizeTable(chart.name, ("size",) + tuple(units[c] for c in columns), rows)


def widget_config(*, rasa_url: str, title: str, product: Optional[str] = None,
                  identity_token: Optional[str] = None) -> str:
    """The JSON a page puts in the widget's script tag (`data-config`)."""
    # No language: the widget speaks the shopper's browser language when it has it (README, "Languages").
    config = {"rasaUrl": rasa_url, "title": title, "colors": {"primary": "#1f4e3d", "onPrimary": "#ffffff"}}
    if product:
        config["context"] = {"product": product}
    if identity_token:
        config["identityToken"] = identity_token
    return json.dumps(config)


class Storefront:
    def __init__(self, kb: KnowledgeBase, *, rasa_public_url: str, identity_secret: str,
                 demo_sign_in: bool = False):
        # Demo sign-in lets anyone act as any customer: off unless the caller switches it on (DEMO_SIGN_IN=1).
        self.kb = kb
        self.rasa_public_url = rasa_public_url
        self.identity_secret = identity_secret
        self.demo_sign_in = demo_sign_in
        self.templates = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                                     autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

    def _page(self, template: str, *, customer: Optional[str], product: Optional[str] = None, **values) -> str:
        token = sign_identity(customer, secret=self.identity_secret) if customer and self.identity_secret else None
        config = widget_config(rasa_url=self.rasa_public_url, title=f"{self.kb.store.name} help",
                               product=product, identity_token=token)
        return self.templates.get_template(template).render(
            store=self.kb.store, customer=customer, demo_sign_in=self.demo_sign_in, widget_config=config, **values)

    def catalog_page(self, *, customer: Optional[str]) -> str:
        groups: List[Tuple[str, List[Product]]] = []
        for category in self.kb.categories.values():
            products = [p for p in self.kb.products.values() if p.category == category.id]
            if products:
                groups.append((category.name, products))
        return self._page("catalog.html", customer=customer, groups=groups)

    def product_page(self, sku: str, *, customer: Optional[str]) -> Optional[str]:
        product = self.kb.products.get(sku)
        if product is None:
            return None
        category = self.kb.category_of(product)
        return self._page("product.html", customer=customer, product=product.sku, item=product, category=category,
                          window_days=self.kb.return_window_days(category.id), sizes=size_table(self.kb, product))

    def account_page(self, *, customer: Optional[str], error: str = "") -> str:
        return self._page("account.html", customer=customer, error=error)
