"""The copyable application summary: suggested item(s) and what the track record must show."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.errors import DataFileError
from classifier.messages import VERDICT_ZH
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
        (f"建議申請項目：{best.code} {best.name}" if zh else f"Suggested item: {best.code} {best.name}"),
        ("分類路徑：" if zh else "Path: ") + best.path,
        (f"信心：{best.confidence:.2f}；資格判定：{VERDICT_ZH[prediction.verdict]}" if zh
         else f"Confidence: {best.confidence:.2f}; verdict: {prediction.verdict}"),
    ]
    others = [f"{s.code} {s.name}" for s in prediction.suggestions[1:1 + alternatives]]
    if others:
        lines.append(("備選項目：" if zh else "Alternatives: ") + "；".join(others))
    evidence = [f"FAQ {p.ref}" for p in best.precedents if p.source == "faq"]
    if best.matched_terms:
        evidence.append(("符合詞 " if zh else "matched terms ") + "、".join(best.matched_terms))
    if evidence:
        lines.append(("依據：" if zh else "Basis: ") + "；".join(evidence))
    if prediction.rule_hits:
        lines.append("適用的問答集規定：" if zh else "Rulings that apply:")
        lines += [f"  · FAQ {h.faq}：{h.message_zh}" if zh else f"  · FAQ {h.faq}: {h.message_en}"
                  for h in prediction.rule_hits]
    lines.append("實績須呈現：" if zh else "The track record must show:")
    lines += [f"  · {n.zh if zh else n.en}" for n in notes]
    questions = prediction.follow_up if zh else tuple(h.question_en for h in prediction.rule_hits if h.question_en)
    if questions:
        lines.append("待補充說明：" if zh else "Still to clarify:")
        lines += [f"  · {q}" for q in questions]
    return "\n".join(lines)
