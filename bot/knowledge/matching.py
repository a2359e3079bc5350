"""Find products, categories, regions and other knowledge-base terms in what a shopper typed.

Matching is fuzzy (rapidfuzz) so that "alpin parka" and "sneekers" still resolve.
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import csr_matrix

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
        # The catalog as two product x word matrices, so that a message is compared with the catalog's
        # distinct words (a few hundred) rather than with every product: how often each word is in a
        # product's name, and whether it is one of the product's distinctive words. Rows keep the
        # catalog order, which settles ties.
        self._skus = list(self._product_tokens)
        self._name_words = sorted({word for name_tokens, _ in self._product_tokens.values() for word in name_tokens})
        self._word_column = {word: index for index, word in enumerate(self._name_words)}
        self._name_counts = self._matrix(name_tokens for name_tokens, _ in self._product_tokens.values())
        self._distinctive = self._matrix(set(distinctive) for _, distinctive in self._product_tokens.values())
        self._name_lengths = np.array([len(name_tokens) for name_tokens, _ in self._product_tokens.values()],
                                      dtype=float)

    def _matrix(self, words_per_product: Iterable[Iterable[str]]) -> csr_matrix:
        """Products x catalog words; a word that occurs twice in a name counts twice."""
        rows, columns = [], []
        for row, words in enumerate(words_per_product):
            for word in words:
                rows.append(row)
                columns.append(self._word_column[word])
        return csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(self._skus), len(self._name_words)))

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
        close = self._close_words(typed)
        if not close:
            return ProductResolution()
        # Each catalog word weighs its similarity to what was typed; a product's score is the sum over
        # its name's words divided by their number. A product is a candidate when one of its
        # distinctive words was typed (or nearly).
        weights = np.zeros(len(self._name_words))
        for word, similarity in close.items():
            weights[self._word_column[word]] = similarity
        candidates = np.flatnonzero(self._distinctive @ (weights > 0).astype(float))
        if candidates.size == 0:
            return ProductResolution()
        scores = (self._name_counts[candidates] @ weights) / self._name_lengths[candidates]
        order = np.argsort(-scores, kind="stable")  # best first; equal scores in catalog order
        best = float(scores[order[0]])
        tied = int(np.count_nonzero(scores >= best - TIE_MARGIN))  # the first `tied` of `order`

        def first(count: int) -> Tuple[Product, ...]:
            return tuple(self.kb.products[self._skus[candidates[i]]] for i in order[:count])
        if tied == 1 and (best >= CONFIDENT or candidates.size == 1):
            return ProductResolution(product=first(1)[0])
        # "harbor" names three products: ask rather than guess the one with the shortest name.
        return ProductResolution(candidates=first(min(tied, 5) if tied > 1 else 5))

    def _close_words(self, typed: Sequence[str]) -> Dict[str, float]:
        """Catalog words at least TOKEN_MATCH similar to a typed word, with their best similarity."""
        close: Dict[str, float] = {}
        for word in typed:
            for match, score, _ in process.extract(word, self._name_words, scorer=fuzz.ratio,
                                                   score_cutoff=TOKEN_MATCH, limit=None):
                if score > close.get(match, 0.0):
                    close[match] = score
        return close

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
