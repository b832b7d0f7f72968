"""File in, file out: classify every row of a table, in order, without losing any."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import InputError
from .messages import input_error_zh
from .pipeline import Classifier, check_text
from .records import Prediction
from .tables import read_table, require_column, write_table

RESULT_COLUMNS = (
    "code", "name", "score", "verdict", "rule_ids", "top3", "needs_review", "review_reasons",
    "reasons", "follow_up", "truncated", "error", "model_version", "taxonomy_version",
)
CHUNK_ROWS = 256


def reasons_text(prediction: Prediction) -> str:
    """A one-cell summary of the reasons, in Traditional Chinese."""
    best = prediction.best
    parts = []
    if best.precedents:
        refs = [f"FAQ {p.ref}" if p.source == "faq" else ("定義" if p.source == "definition" else p.ref)
                for p in best.precedents]
        parts.append("相似先例：" + "、".join(refs))
    if best.matched_terms:
        parts.append("符合詞：" + "、".join(best.matched_terms))
    for hit in prediction.rule_hits:
        parts.append(f"FAQ {hit.faq}（{hit.rule_id}）：{hit.message_zh}")
    return "；".join(parts)


def prediction_row(prediction: Prediction) -> dict[str, object]:
    best = prediction.best
    return {
        "code": best.code, "name": best.name, "score": best.confidence, "verdict": prediction.verdict,
        "rule_ids": ";".join(prediction.rule_ids), "top3": ";".join(s.code for s in prediction.suggestions[:3]),
        "needs_review": prediction.needs_review, "review_reasons": ";".join(prediction.review_reasons),
        "reasons": reasons_text(prediction), "follow_up": " ".join(prediction.follow_up),
        "truncated": prediction.truncated, "error": "",
    }


def error_row(message: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(RESULT_COLUMNS, "")
    row.update(needs_review=True, error=message)
    return row


def classify_frame(classifier: Classifier, frame: pd.DataFrame, *, text_column: str = "text",
                   chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the result columns added; one output row per input row, same order.

    A row that cannot be classified (empty text, symbols only) gets a message in ``error``.
    """
    require_column(frame, text_column)
    results: list[dict[str, object]] = []
    texts = frame[text_column].tolist()
    for start in range(0, len(texts), chunk_rows):
        chunk = texts[start:start + chunk_rows]
        good, rows = [], [None] * len(chunk)
        for i, text in enumerate(chunk):
            try:
                check_text(text, classifier.config.max_chars)
                good.append(i)
            except InputError as exc:
                rows[i] = error_row(f"{exc.reason}: {input_error_zh(exc)}")
        if good:
            predictions = classifier.classify_many([chunk[i] for i in good])
            for i, prediction in zip(good, predictions):
                rows[i] = prediction_row(prediction)
        results.extend(rows)
        if progress:
            progress(len(chunk))
    added = pd.DataFrame(results, columns=list(RESULT_COLUMNS), index=frame.index)
    for name, value in classifier.versions.items():
        added[name] = value
    clash = [c for c in RESULT_COLUMNS if c in frame.columns]
    base = frame.rename(columns={c: f"input_{c}" for c in clash})
    return pd.concat([base, added], axis=1)


def run_batch(classifier: Classifier, source: Path, target: Path, *, text_column: str = "text",
              progress_factory: Callable[[int], object] | None = None, excel_bom: bool = False) -> pd.DataFrame:
    """Read ``source``, classify every row and write ``target`` (CSV or XLSX by extension)."""
    frame = read_table(source)
    require_column(frame, text_column)
    bar = progress_factory(len(frame)) if progress_factory else None
    try:
        out = classify_frame(classifier, frame, text_column=text_column,
                             progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    write_table(out, target, excel_bom=excel_bom)
    return out
