"""The store's knowledge base: loading, matching shopper wording to it, and composing answers."""
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Optional

from bot.knowledge.answers import Answer, payment, returns, shipping, sizing
from bot.knowledge.articles import ArticleIndex
from bot.knowledge.faq_search import FaqHit, FaqIndex
from bot.knowledge.loader import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from bot.knowledge.matching import Matcher

__all__ = ["Answer", "Knowledge", "KnowledgeBase", "KnowledgeBaseError", "get_knowledge", "load_knowledge_base"]


class Knowledge:
    """What the actions talk to: one object per loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.matcher = Matcher(kb)
        self.faq = FaqIndex(kb)

    def returns(self, text: str, product: Optional[str] = None) -> Answer:
        return returns.answer(self.kb, self.matcher, text, product)

    def shipping(self, text: str) -> Answer:
        return shipping.answer(self.kb, self.matcher, text)

    def sizing(self, text: str, product: Optional[str] = None) -> Answer:
        return sizing.answer(self.kb, self.matcher, text, product)

    def payment(self, text: str) -> Answer:
        return payment.answer(self.kb, text)

    def search(self, text: str) -> Optional[FaqHit]:
        return self.faq.search(text)

    @cached_property
    def articles(self) -> ArticleIndex:
        """Every answer as an article for the agents' search (bot/knowledge/articles.py), built on first use:
        the actions never need it."""
        return ArticleIndex(self.kb)


@lru_cache(maxsize=4)
def get_knowledge(directory: Optional[str] = None) -> Knowledge:
    """Load once per process; `directory` defaults to the configured knowledge_base/ folder."""
    if directory is None:
        from bot.settings import get_settings

        directory = str(get_settings().knowledge_base_dir)
    return Knowledge(load_knowledge_base(Path(directory)))
