"""The copyable application summary: suggested item(s) and what the track record must show."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.errors import DataFileError
from classifier.messages import join_items, t, verdict_label
from classifier.records import ApplicationNote, Prediction


def load_notes(path: Path) -> tuple[ApplicationNote, ...]:
    if not path.is_file():
        raise DataFileError(f"Expected {path}; it does not exist. Restore it from git.")
    try:
        return tuple(ApplicationNote(**note) for note in json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{path.name}: expected a JSON list of notes with id, source, zh, en; {exc}.") from exc


def application_summary(prediction: Prediction, notes: tuple[ApplicationNote, ...], *, lang: str = "zh",
                        alternatives: int = 2) -> str:
    zh = lang == "zh"
    best = prediction.best
    lines = [
        t("form_item", lang, code=best.code, name=best.name),
        t("cli_path", lang, path=best.path),
        t("form_confidence", lang, confidence=best.confidence, verdict=verdict_label(prediction.verdict, lang)),
    ]
    others = [f"{s.code} {s.name}" for s in prediction.suggestions[1:1 + alternatives]]
    if others:
        lines.append(t("form_alternatives", lang, items="；".join(others) if zh else "; ".join(others)))
    evidence = [f"FAQ {p.ref}" for p in best.precedents if p.source == "faq"]
    if best.matched_terms:
        evidence.append(t("cli_matched", lang, terms=join_items(best.matched_terms, lang)))
    if evidence:
        lines.append(t("form_basis", lang, basis="；".join(evidence) if zh else "; ".join(evidence)))
    if prediction.rule_hits:
        lines.append(t("form_rulings", lang))
        lines += [f"  · FAQ {h.faq}{'：' if zh else ': '}{h.message(lang)}"
                  for h in prediction.rule_hits]
    lines.append(t("form_must_show", lang))
    lines += [f"  · {n.zh if zh else n.en}" for n in notes]
    questions = prediction.questions(lang)
    if questions:
        lines.append(t("form_to_clarify", lang))
        lines += [f"  · {q}" for q in questions]
    return "\n".join(lines)
