"""Reasons as data: the precedents, matched terms and definition behind each suggestion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier.engine.lexical import Tokenizer
from classifier.engine.normalise import normalise
from classifier.records import Precedent, SubItem
from classifier.taxonomy.references import Reference


@dataclass(frozen=True)
class ItemVocabulary:
    """Normalised terms that speak for an item: its names, keywords and definition words."""

    phrases: tuple[str, ...]
    words: frozenset[str]

    @classmethod
    def of(cls, item: SubItem, tokenizer: Tokenizer) -> ItemVocabulary:
        phrases = []
        for raw in (*item.keywords, *item.aliases, *item.name.split("/")):
            phrase = normalise(raw).strip()
            if len(phrase) >= 2 and phrase not in phrases:
                phrases.append(phrase)
        words = frozenset(tokenizer.words(normalise(f"{item.name} {item.definition}")))
        return cls(tuple(phrases), words)


def matched_terms(normalised_text: str, query_words: list[str], vocabulary: ItemVocabulary,
                  precedent_words: set[str], limit: int = 8) -> tuple[str, ...]:
    """Terms of the description that also speak for the item, longest phrases first."""
    found = [p for p in sorted(vocabulary.phrases, key=len, reverse=True) if p in normalised_text]
    kept: list[str] = []
    for phrase in found:
        if not any(phrase in longer for longer in kept):
            kept.append(phrase)
    for word in query_words:
        if (word in vocabulary.words or word in precedent_words) and not any(word in k for k in kept):
            kept.append(word)
    return tuple(dict.fromkeys(kept))[:limit]


def top_precedents(sims: np.ndarray, ref_rows: np.ndarray, references: list[Reference],
                   limit: int = 3, scale: float = 1.0) -> tuple[Precedent, ...]:
    """The references of one item most similar to the description, FAQ rulings included.

    ``scale`` divides the hybrid similarity (a weighted sum of cosines) back into 0…1.
    """
    order = ref_rows[np.argsort(-sims[ref_rows], kind="stable")]
    out = []
    for row in order:
        ref = references[row]
        if ref.source == "name":
            continue
        out.append(Precedent(source=ref.source, ref=ref.ref, code=ref.code, text=ref.text,
                             similarity=round(float(sims[row]) / scale, 4), verdict=ref.verdict))
        if len(out) == limit:
            break
    return tuple(out)
