"""Find products, categories, regions and other knowledge-base terms in what a shopper typed.

Matching is fuzzy (rapidfuzz) so that "alpin parka" and "sneekers" still resolve.
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.schema import Category, Product

WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# Words too short or too common to say anything about which product is meant.
STOPWORDS = frozenset(
    "a an the i im i'm my me is are do does can could you your it its of for to in on and or with "
    "what which how much many this that be if run runs size sizes return".split()
)
# A name token must be this similar to a typed word to count (0-100).
TOKEN_MATCH = 80
PHRASE_MATCH = 86
# Products whose score is within this many points of the best are treated as equally good.
TIE_MARGIN = 10
# A product is taken without asking when most of its name was typed, or when nothing else matched.
CONFIDENT = 60


def tokens(text: str) -> List[str]:
    return WORD.findall(text.lower())


@dataclass(frozen=True)
class ProductResolution:
    """Either one product, several equally likely ones (ask the shopper), or none."""

    product: Optional[Product] = None
    candidates: Tuple[Product, ...] = field(default_factory=tuple)

    @property
    def ambiguous(self) -> bool:
        return self.product is None and len(self.candidates) > 1


def _best_ratio(word: str, typed: Sequence[str]) -> float:
    return max((fuzz.ratio(word, candidate) for candidate in typed), default=0.0)


class Matcher:
    """Built once per knowledge base; every method is pure."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        generic = {"shoe", "shoes", "boot", "boots", "coat", "jacket", "pack", "3-pack", "one-piece"}
        for category in kb.categories.values():
            for synonym in category.synonyms:
                words = tokens(synonym)
                if len(words) == 1:  # "trail runners" must not make "trail" generic
                    generic.update(words)
        self._generic = frozenset(generic)
        self._product_tokens: Dict[str, Tuple[List[str], List[str]]] = {}
        for product in kb.products.values():
            name_tokens = tokens(product.name)
            distinctive = [t for t in name_tokens if t not in self._generic and t not in STOPWORDS]
            distinctive = distinctive or name_tokens
            self._product_tokens[product.sku] = (name_tokens, distinctive)
        self._products_by_name = {p.name.lower(): p for p in kb.products.values()}

    # -- products -----------------------------------------------------------------------------
    def resolve_product(self, text: str, named: Optional[str] = None) -> ProductResolution:
        """`named` is an exact product name or SKU (from a button the shopper clicked)."""
        if named:
            exact = self._products_by_name.get(named.lower()) or self.kb.products.get(named.upper())
            if exact:
                return ProductResolution(product=exact)
            text = f"{named} {text}"
        typed = [t for t in tokens(text) if t not in STOPWORDS]
        if not typed:
            return ProductResolution()
        scored = []
        for sku, (name_tokens, distinctive) in self._product_tokens.items():
            if not any(_best_ratio(t, typed) >= TOKEN_MATCH for t in distinctive):
                continue
            ratios = [_best_ratio(t, typed) for t in name_tokens]
            score = sum(r for r in ratios if r >= TOKEN_MATCH) / len(name_tokens)
            scored.append((score, self.kb.products[sku]))
        if not scored:
            return ProductResolution()
        scored.sort(key=lambda item: item[0], reverse=True)
        best = scored[0][0]
        tied = tuple(product for score, product in scored if score >= best - TIE_MARGIN)
        if len(tied) == 1 and (best >= CONFIDENT or len(scored) == 1):
            return ProductResolution(product=tied[0])
        # "harbor" names three products: ask rather than guess the one with the shortest name.
        candidates = tied if len(tied) > 1 else tuple(product for _, product in scored)
        return ProductResolution(candidates=candidates[:5])

    def mentions_product(self, text: str) -> bool:
        """Whether the text names a product (one, or several equally well)."""
        resolution = self.resolve_product(text)
        return resolution.product is not None or bool(resolution.candidates)

    # -- categories and other vocabularies ----------------------------------------------------
    def find_category(self, text: str) -> Optional[Category]:
        return _best_phrase(text, ((s, c) for c in self.kb.categories.values() for s in c.synonyms))

    def find_shipping_region(self, text: str):
        return _best_phrase(text, ((s, r) for r in self.kb.shipping.regions for s in r.synonyms))

    def find_return_region(self, text: str):
        return _best_phrase(text, ((s, r) for r in self.kb.returns.regions for s in r.synonyms))

    def find_shipping_method(self, text: str) -> Optional[str]:
        pairs = ((s, m) for m, synonyms in self.kb.shipping.method_synonyms.items() for s in synonyms)
        return _best_phrase(text, pairs)

    def find_refund_method(self, text: str):
        return _best_phrase(text, ((s, m) for m in self.kb.returns.refunds.methods for s in m.synonyms))


def _best_phrase(text: str, pairs: Iterable[Tuple[str, object]]):
    """The value whose phrase best matches a run of words in `text`; longer phrases win ties.

    Phrases of three letters or fewer ("uk", "eu") must match a word exactly: fuzzy matching
    short words finds them everywhere.
    """
    typed = tokens(text)
    best_value, best_key = None, (0.0, 0)
    for phrase, value in pairs:
        phrase_tokens, joined = _phrase(phrase)
        if not phrase_tokens:
            continue
        if len(joined) <= 3:
            score = 100.0 if joined in typed else 0.0
        else:
            score = _window_ratio(phrase_tokens, joined, tuple(typed))
        key = (score, len(joined))
        if score >= PHRASE_MATCH and key > best_key:
            best_value, best_key = value, key
    return best_value


@lru_cache(maxsize=4096)
def _phrase(phrase: str) -> Tuple[Tuple[str, ...], str]:
    """A knowledge-base phrase's words, worked out once rather than for every message."""
    words = tuple(tokens(phrase))
    return words, " ".join(words)


@lru_cache(maxsize=4096)
def _windows(typed: Tuple[str, ...], size: int) -> Tuple[str, ...]:
    return tuple(" ".join(typed[i:i + size]) for i in range(max(len(typed) - size + 1, 0)))


def _window_ratio(phrase_tokens: Tuple[str, ...], joined: str, typed: Tuple[str, ...]) -> float:
    best = 0.0
    for size in {len(phrase_tokens), len(phrase_tokens) + 1, max(len(phrase_tokens) - 1, 1)}:
        for window in _windows(typed, size):
            best = max(best, fuzz.ratio(joined, window))
    return best
