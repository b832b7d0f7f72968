"""Explaining beyond the headline: why not another item, further services in one text, the rulings
of an item. Each takes the Classifier and reuses its one scoring step."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from classifier.engine.explain import contains_term, original_spans
from classifier.errors import InputError
from classifier.records import Contrast, Prediction, Ruling, Service

if TYPE_CHECKING:
    from classifier.engine.pipeline import Classifier

# Passages of a description: sentences, and clauses that start another service.
_PASSAGE = re.compile(r"[。；;!?！？\n]+|(?:另外|此外|同時也|並且也|另一項|另一個|additionally|also,|in addition)")


def contrast(clf: Classifier, text: str, code: str) -> Contrast:
    """Why not ``code``: its rank and score for this description, and what the text lacks for it."""
    from classifier.engine.pipeline import check_text

    if code not in clf.taxonomy:
        raise InputError(f"Expected a sub-item code from taxonomy.csv; found {code!r}.", reason="unknown_code",
                         code=code)
    norm, _ = check_text(text, clf.config.max_chars)
    scored = clf._score([norm])
    probs, scores = scored.probs[0], scored.scores[0]
    order = list(np.argsort(-probs, kind="stable"))
    idx = int(np.flatnonzero(clf.ranker.classes_ == code)[0])
    scale = clf._calibration_scale(probs[order[0]])
    terms, precedents = clf._evidence(code, norm, clf.tokenizer.words(norm), scored.sims[0])
    item = clf.taxonomy[code]
    hits = clf.rule_hits_for(norm, code)
    return Contrast(
        code=code, name=item.name, path=item.path, rank=order.index(idx) + 1,
        score=round(float(scores[idx]), 4), confidence=round(min(1.0, float(probs[idx]) * scale), 4),
        gap=round(float(scores[order[0]] - scores[idx]), 4), definition=item.definition,
        matched_terms=original_spans(text, terms), missing_terms=tuple(p for p in clf._vocab[code].phrases if not contains_term(norm, p))[:8],
        rule_hits=tuple(hits), precedents=precedents,
    )


def services(clf: Classifier, text: str, prediction: Prediction | None = None, *,
             min_confidence: float = 0.5) -> tuple[Service, ...]:
    """Further services in a description that covers several (e.g. an edge AI chip plus a
    smart-city application): the best item of each passage whose item differs from the headline."""
    prediction = prediction or clf.classify(text)
    passages = [p.strip() for p in _PASSAGE.split(text) if sum(ch.isalnum() for ch in p) >= 8]
    if len(passages) < 2:
        return ()
    seen = {prediction.code}
    found = []
    for passage, part in zip(passages, clf.classify_many(passages)):
        best = part.best
        if best.code in seen or best.confidence < min_confidence:
            continue
        seen.add(best.code)
        found.append(Service(passage=passage, suggestion=best, verdict=part.verdict, rule_hits=part.rule_hits))
    return tuple(found)


def rulings_for(clf: Classifier, code: str) -> tuple[Ruling, ...]:
    """FAQ rulings that name this item, or whose rules are scoped to it."""
    return tuple(
        r for r in clf.rulings
        if code in r.codes or any(clf.rules.by_id(rid).when_codes and clf.rules.applies_to(rid, code)
                                  for rid in r.rule_ids if rid in clf.rules.ids)
    )
