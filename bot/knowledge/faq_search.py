"""Search the knowledge base's question variants when the intent is unclear."""
from dataclasses import dataclass
from typing import List, Optional, Tuple

from rapidfuzz import fuzz, process

from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.topics import TOPICS

# Below this similarity (0-100) a match is a guess, and guessing wrong is worse than asking.
GOOD_MATCH = 82


@dataclass(frozen=True)
class FaqHit:
    question: str
    score: float
    answer: str


class FaqIndex:
    def __init__(self, kb: KnowledgeBase):
        self._kb = kb
        self._questions: List[str] = []
        self._entries = []
        for entry in kb.faq.entries:
            for question in entry.questions:
                self._questions.append(question.lower())
                self._entries.append(entry)

    def search(self, text: str, threshold: float = GOOD_MATCH) -> Optional[FaqHit]:
        query = text.lower().strip()
        if len(query) < 4:
            return None
        found: Optional[Tuple[str, float, int]] = process.extractOne(
            query, self._questions, scorer=fuzz.token_sort_ratio, score_cutoff=threshold
        )
        if found is None:
            return None
        question, score, index = found
        entry = self._entries[index]
        answer = entry.answer or TOPICS[entry.topic](self._kb)
        return FaqHit(question, score, answer)
