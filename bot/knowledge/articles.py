"""The knowledge base as articles for the agents' search in the console (GET /api/knowledge).

Every answer the assistant can give becomes an article: a question-like title, the words shoppers use
for it (region, method, category and refund-method synonyms, the FAQ's question variants) and the real
answer text composed from the knowledge base. A query is ranked against them with BM25, the title
counting three times, so that "express shipping canada" puts "Express shipping to Canada" first.

Unlike the shoppers' FAQ match (faq_search.py), which must pick one answer or none, this returns several
ranked hits and never composes an answer from the query itself.
"""
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from rapidfuzz import fuzz, process

from bot.knowledge.answers import money, returns, shipping, sizing
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.topics import TOPICS

# Words that say nothing about which article is meant.
STOPWORDS = frozenset(
    "a an the i im i'm my me we our us is are was be been do does did can could would should will you your "
    "it its of for to in on at by from and or with what which who how when where why this that these those "
    "there have has had get got if not no any some please hi hello about".split()
)
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
TITLE_WEIGHT = 3
K1, B = 1.2, 0.75
# A typed word missing from every article is read as the closest known word at least this similar (0-100).
TYPO_MATCH = 80
# Hits scoring below this share of the best one are left out.
KEEP_SHARE = 0.25
LIMIT = 8


@dataclass(frozen=True)
class Article:
    question: str
    answer: str
    topic: str
    keywords: str = ""


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float  # relative to the best hit of the same search: 1.0 for the best


def stem(word: str) -> str:
    """A light English stemmer: enough for "ships"/"shipping"/"shipped" or "returns"/"returned" to meet."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[:-len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def words(text: str) -> List[str]:
    return [word for word in WORD.findall(text.lower()) if word not in STOPWORDS]


def terms(text: str) -> List[str]:
    return [stem(word) for word in words(text)]


def build_articles(kb: KnowledgeBase) -> List[Article]:
    """Every article, FAQ first; an answer text already present is not added twice."""
    found: List[Article] = []
    seen = set()

    def add(question: str, answer: str, topic: str, keywords: Iterable[str] = ()) -> None:
        if answer not in seen:
            seen.add(answer)
            found.append(Article(question, answer, topic, " ".join(keywords)))

    for entry in kb.faq.entries:
        answer = entry.answer or TOPICS[entry.topic](kb)
        add(_as_question(entry.questions[0]), answer, (entry.topic or "faq").split(".")[0], entry.questions[1:])
    synonyms = kb.shipping.method_synonyms
    for region in kb.shipping.regions:
        for method in region.methods:
            add(f"{method.name} shipping to {region.name}", shipping.method_answer(region, method), "shipping",
                [*region.synonyms, *synonyms.get(method.id, ()), "delivery", "cost", "price"])
        add(f"Shipping to {region.name}", f"{shipping.region_summary(region)} {region.duties}", "shipping",
            [*region.synonyms, "delivery", "cost", "price"])
        add(f"Duties and taxes for {region.name}", f"For {region.name}: {region.duties}", "shipping",
            [*region.synonyms, "duty", "customs", "tax", "vat", "import"])
    add("How do I track my parcel?", kb.shipping.tracking, "shipping", ["tracking", "track", "link", "where"])
    add("What does a return cost?", returns.return_shipping(kb), "returns",
        ["return", "label", "cost", "free", "postage", "fee", "international"])
    for region in kb.returns.regions:
        add(f"Returns in {region.name}", region.rule, "returns", [*region.synonyms, "return", "withdrawal", "cancel"])
    for method in kb.returns.refunds.methods:
        add(f"Refund when paid by {method.name}", returns.refund_timing(kb, method), "returns",
            [*method.synonyms, "refund", "money back"])
    for category in kb.categories.values():
        add(f"Returning {category.name.lower()}",
            f"{returns.window_sentence(kb, category, category.name.lower())} {returns.condition_text(kb, category)}",
            "returns", [*category.synonyms, "return", "window", "days"])
        add(f"Size chart for {category.name.lower()}", sizing.chart_text(kb, category), "sizing",
            [*category.synonyms, "size", "chart", "measure"])
    for product in kb.products.values():
        category = kb.category_of(product)
        add(f"Does the {product.name} run small?", sizing.fit_answer(product), "sizing",
            [*category.synonyms, "fit", "size", "sizes", product.sku])
        add(f"Can I return the {product.name}?", returns.product_policy(kb, product), "returns",
            [*category.synonyms, "return", product.sku])
    add("What can we offer when an order went wrong?", compensation_text(kb), "compensation",
        ["compensation", "goodwill", "credit", "refund", "late", "delay", "apology", "voucher", "discount"])
    return found


def compensation_text(kb: KnowledgeBase) -> str:
    offer = kb.store.compensation
    method = next(m.name for m in kb.shipping.regions[0].methods if m.id == offer.free_upgrade)
    return (f"For an order that went wrong, mildest first: free {method} shipping on the next order; a "
            f"{money(offer.store_credit_cents)} store credit, valid {offer.store_credit_months} months; "
            f"{offer.refund_percent}% of the order's total refunded as a goodwill gesture.")


QUESTION_WORDS = ("how", "what", "when", "where", "which", "who", "why", "can", "do", "does", "is", "are")


def _as_question(text: str) -> str:
    """A FAQ variant as a title: "can i return a gift" -> "Can I return a gift?"."""
    text = re.sub(r"\bi\b", "I", text.strip())
    asks = text.split(" ", 1)[0].lower() in QUESTION_WORDS
    return text[:1].upper() + text[1:] + ("?" if asks and not text.endswith("?") else "")


class ArticleIndex:
    """BM25 over the articles; built once per knowledge base, searched by any number of threads."""

    def __init__(self, kb: KnowledgeBase):
        self.articles = build_articles(kb)
        self._counts: List[Counter] = []
        for article in self.articles:
            bag = Counter(terms(article.question) * TITLE_WEIGHT)
            bag.update(terms(article.keywords))
            bag.update(terms(article.answer))
            self._counts.append(bag)
        self._lengths = [sum(bag.values()) for bag in self._counts]
        self._average = sum(self._lengths) / len(self._lengths)
        frequency: Counter = Counter()
        for bag in self._counts:
            frequency.update(bag.keys())
        total = len(self.articles)
        self._idf: Dict[str, float] = {term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}
        # The words as written, for typos: "expres" is compared with "express", not with stems.
        self._spelled = sorted({word for article in self.articles
                                for word in words(f"{article.question} {article.keywords} {article.answer}")})

    def _query_terms(self, query: str) -> List[Tuple[str, float]]:
        """(known term, weight): a typo counts as the closest known word, weighed by its similarity."""
        found: Dict[str, float] = {}
        for word in words(query):
            term, weight = stem(word), 1.0
            if term not in self._idf:
                close: Optional[tuple] = None
                if len(word) >= 4:
                    close = process.extractOne(word, self._spelled, scorer=fuzz.ratio, score_cutoff=TYPO_MATCH)
                if close is None:
                    continue
                term, weight = stem(close[0]), close[1] / 100
            found[term] = max(found.get(term, 0.0), weight)
        return list(found.items())

    def search(self, query: str, limit: int = LIMIT) -> List[Hit]:
        wanted = self._query_terms(query)
        if not wanted:
            return []
        scored = []
        for index, bag in enumerate(self._counts):
            norm = K1 * (1 - B + B * self._lengths[index] / self._average)
            score = sum(weight * self._idf[term] * bag[term] * (K1 + 1) / (bag[term] + norm)
                        for term, weight in wanted if bag[term])
            if score > 0:
                scored.append((score, index))
        if not scored:
            return []
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        best = scored[0][0]
        return [Hit(self.articles[index], round(score / best, 3))
                for score, index in scored[:limit] if score >= best * KEEP_SHARE]
