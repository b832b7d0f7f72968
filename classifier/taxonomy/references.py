"""The reference texts the ranker searches: item definitions, FAQ precedents and labelled examples."""

from __future__ import annotations

from dataclasses import dataclass

from classifier.records import Example, SubItem
from classifier.taxonomy.loaders import Taxonomy

DOCUMENT_SOURCES = ("definition", "name")


@dataclass(frozen=True)
class Reference:
    source: str  # definition | name | faq | example | decision
    ref: str  # code, FAQ number or example id
    code: str
    text: str
    verdict: str = "eligible"

    @property
    def prompt(self) -> str:
        """Reference texts take the model's document prompt; descriptions (FAQ questions, examples)
        are written like the user's own text, so they take the query prompt."""
        return "document" if self.source in DOCUMENT_SOURCES else "query"


def item_texts(item: SubItem) -> list[tuple[str, str]]:
    """Two views of an item: its definition, and its names with keywords."""
    names = "、".join((item.name, *item.aliases))
    return [
        ("definition", f"{item.name}：{item.definition}"),
        ("name", f"{names}。{item.subcategory_name}。關鍵詞：{'、'.join(item.keywords)}"),
    ]


def build_references(taxonomy: Taxonomy, faq_precedents: dict[int, tuple[str, str, str]],
                     examples: tuple[Example, ...]) -> list[Reference]:
    """``faq_precedents`` maps an FAQ number to (code, question text, verdict)."""
    refs = [Reference(source, item.code, item.code, text) for item in taxonomy.items for source, text in item_texts(item)]
    refs += [Reference("faq", str(faq), code, question, verdict)
             for faq, (code, question, verdict) in sorted(faq_precedents.items())]
    refs += [Reference(ex.source, ex.id, ex.code, ex.text, ex.verdict) for ex in examples]
    return refs
