"""What a prediction looks like outside the library: a JSON record (`classify --json` and the HTTP API),
a flat row for batch and re-classification files, and reasons written as sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from classifier.messages import join_items, review_label, source_name, t, verdict_label
from classifier.records import Precedent, Prediction, RuleHit

if TYPE_CHECKING:
    from classifier.taxonomy.loaders import Taxonomy

QUOTE_CHARS = 40


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def precedent_sentence(p: Precedent, lang: str = "zh") -> str:
    """「與範例『…』相近（相似度 0.82）」; a precedent that was not eligible says so."""
    if p.source == "definition":
        return t("reason_like_definition", lang, similarity=p.similarity)
    if p.source == "faq":
        return t("reason_like_faq", lang, ref=p.ref, text=_quote(p.text))
    source = source_name(p.source, lang)
    if p.verdict != "eligible":
        return t("reason_like_flagged", lang, source=source, text=_quote(p.text), similarity=p.similarity,
                 verdict=verdict_label(p.verdict, lang))
    return t("reason_like", lang, source=source, text=_quote(p.text), similarity=p.similarity)


def ruling_sentence(hit: RuleHit, lang: str = "zh") -> str:
    return t("reason_ruling", lang, faq=hit.faq, message=hit.message(lang))


def joiner(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def reasons_text(prediction: Prediction, lang: str = "zh") -> str:
    """One cell: matched terms, nearest precedents, and the rulings, as sentences."""
    best = prediction.best
    parts = []
    if best.matched_terms:
        parts.append(t("reason_terms", lang, terms=join_items(best.matched_terms, lang)))
    parts += [precedent_sentence(p, lang) for p in best.precedents]
    return joiner(lang).join(parts)


def review_text(reasons: tuple[str, ...] | list[str], lang: str = "zh") -> str:
    return join_items((review_label(r, lang) for r in reasons), lang)


def prediction_row(prediction: Prediction, lang: str = "zh") -> dict[str, object]:
    """The batch file's columns for one prediction: machine columns and readable ones side by side."""
    best = prediction.best
    return {
        "code": best.code, "name": best.name, "confidence": best.confidence,
        "verdict": prediction.verdict, "verdict_zh": verdict_label(prediction.verdict, "zh"),
        "rule_ids": ";".join(prediction.rule_ids),
        "rulings": joiner(lang).join(ruling_sentence(h, lang) for h in prediction.rule_hits),
        "top3": ";".join(s.code for s in prediction.suggestions[:3]),
        "needs_review": prediction.needs_review, "review_reasons": ";".join(prediction.review_reasons),
        "review_why": review_text(prediction.review_reasons, lang),
        "reasons": reasons_text(prediction, lang),
        "follow_up": " ".join(prediction.questions(lang)),
        "truncated": prediction.truncated, "answered_by": prediction.answered_by,
        "error": "", "error_code": "", "warning": "",
    }


def prediction_record(prediction: Prediction, taxonomy: Taxonomy, versions: dict[str, str],
                      lang: str = "zh") -> dict:
    """The public JSON record of one prediction: the same for `classify --json` and the HTTP API.

    ``confidence`` is the calibrated confidence everywhere; the ranker's raw score is ``raw_score``."""
    best = prediction.best
    item = taxonomy[best.code]
    return {
        "text": prediction.text,
        "code": best.code, "name": best.name, "name_en": item.name_en, "path": best.path,
        "confidence": best.confidence,
        "verdict": prediction.verdict, "verdict_label": verdict_label(prediction.verdict, lang),
        "needs_review": prediction.needs_review,
        "review_reasons": [{"code": r, "label": review_label(r, lang),
                            "why": t(f"review_why_{r}", lang)} for r in prediction.review_reasons],
        "rulings": [{"faq": h.faq, "rule_id": h.rule_id, "effect": h.effect,
                     "message": h.message(lang),
                     "question": h.question(lang),
                     "matched": list(h.matched), "trigger": h.trigger} for h in prediction.rule_hits],
        "follow_up": list(prediction.questions(lang)),
        "matched_terms": list(best.matched_terms),
        "definition": best.definition,
        "precedents": [{"source": p.source, "ref": p.ref, "code": p.code, "verdict": p.verdict,
                        "similarity": p.similarity, "text": p.text, "reason": precedent_sentence(p, lang)}
                       for p in best.precedents],
        "suggestions": [{"code": s.code, "name": s.name, "confidence": s.confidence, "raw_score": s.score}
                        for s in prediction.suggestions],
        "truncated": prediction.truncated,
        "answered_by": prediction.answered_by,
        **versions,
    }
