"""Reasons as data: the precedents, matched terms and definition behind each suggestion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from classifier.engine.lexical import Tokenizer
from classifier.engine.normalise import normalise, to_simplified
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


_LATIN_EDGE = re.compile(r"[a-z0-9]")


def contains_term(text: str, term: str) -> bool:
    """``term`` in ``text``; a term that starts or ends with a Latin letter or digit must do so at a
    word edge, so 「ct」 is not found in 「detect」."""
    if term not in text:  # the common, cheap answer
        return False
    if not (_LATIN_EDGE.match(term[:1]) or _LATIN_EDGE.match(term[-1:])):
        return True
    return _find(text, term) is not None


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern:
    body = r"\s+".join(re.escape(part) for part in term.split())
    if _LATIN_EDGE.match(term[:1]):
        body = r"(?<![a-z0-9])" + body
    if _LATIN_EDGE.match(term[-1:]):
        body += r"(?![a-z0-9])"
    return re.compile(body)


@lru_cache(maxsize=16384)
def _plain(term: str) -> tuple[str, bool]:
    """The term lower-cased, and whether plain ``str.find`` matches exactly what its pattern would:
    one word with no Latin letter or digit at either edge (most terms)."""
    term = term.lower()
    return term, term.split() == [term] and not (_LATIN_EDGE.match(term[:1]) or _LATIN_EDGE.match(term[-1:]))


def _find(text: str, term: str) -> tuple[int, int] | None:
    if not term.strip():
        return None
    term, plain = _plain(term)
    if plain:
        # no pattern compiled: a re-run spent half its time compiling them
        start = text.find(term)
        return (start, start + len(term)) if start >= 0 else None
    match = _term_pattern(term).search(text)
    return match.span() if match else None


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch.isspace():
        return " "
    folded = normalise(ch)
    return folded if len(folded) == 1 else ch.lower()


@lru_cache(maxsize=256)
def fold(text: str) -> str:
    """``normalise`` one character at a time: the same length as ``text``, so positions carry over."""
    return "".join(_fold_char(ch) for ch in text)


def original_spans(text: str, terms: tuple[str, ...]) -> tuple[str, ...]:
    """The matched (normalised) terms as the user wrote them: 「ＡＩ客服」 for 「ai客服」, 「软件」 for 「軟體」.
    A term not found in the user's own text is dropped rather than shown in words they never wrote."""
    folded = fold(text)
    spans = []
    for term in terms:
        span = _find(folded, term)
        if span is None:
            span = _find(folded, fold(to_simplified(term)))
        if span is not None:
            spans.append(span)
    # Terms that touch (「深度」「學習」, 「deep」 「learning」) read as the one phrase the user wrote.
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and not text[merged[-1][1]:start].strip() and start >= merged[-1][0]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(dict.fromkeys(text[start:end] for start, end in merged))


def matched_terms(normalised_text: str, query_words: list[str], vocabulary: ItemVocabulary,
                  precedent_words: set[str], limit: int = 8) -> tuple[str, ...]:
    """Terms of the description that also speak for the item, longest phrases first (normalised)."""
    found = [p for p in sorted(vocabulary.phrases, key=len, reverse=True) if contains_term(normalised_text, p)]
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
