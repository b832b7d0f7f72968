"""File in, file out: classify every row of a table, in order, without losing any."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from classifier.engine.pipeline import Classifier, check_text
from classifier.errors import InputError
from classifier.files.tables import read_table, require_column, to_csv_bytes, write_table
from classifier.messages import input_error_zh
from classifier.records import Prediction

RESULT_COLUMNS = (
    "code", "name", "score", "verdict", "rule_ids", "top3", "needs_review", "review_reasons",
    "reasons", "follow_up", "truncated", "error", "warning", "model_version", "taxonomy_version",
)
CHUNK_ROWS = 256
DUPLICATE_ID = "duplicate_id: 此編號在檔案中重複出現"


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
        "truncated": prediction.truncated, "error": "", "warning": "",
    }


def error_row(message: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(RESULT_COLUMNS, "")
    row.update(needs_review=True, error=message)
    return row


def classify_frame(classifier: Classifier, frame: pd.DataFrame, *, text_column: str = "text",
                   chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None,
                   id_column: str | None = "id", memo: dict | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the result columns added; one output row per input row, same order.

    A row that cannot be classified (empty text, symbols only) gets a message in ``error``;
    a repeated id gets a note in ``warning``. Identical texts are classified once (``memo``
    carries that across calls of one run).
    """
    require_column(frame, text_column)
    memo = {} if memo is None else memo
    results: list[dict[str, object]] = []
    texts = frame[text_column].tolist()
    for start in range(0, len(texts), chunk_rows):
        chunk = texts[start:start + chunk_rows]
        rows: list[dict | None] = [None] * len(chunk)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(chunk):
            key = text if isinstance(text, str) else repr(text)
            if key in memo:
                rows[i] = dict(memo[key])
                continue
            try:
                check_text(text, classifier.config.max_chars)
                todo.setdefault(key, []).append(i)
            except InputError as exc:
                rows[i] = error_row(f"{exc.reason}: {input_error_zh(exc)}")
        if todo:
            predictions = classifier.classify_many([chunk[positions[0]] for positions in todo.values()])
            for (key, positions), prediction in zip(todo.items(), predictions):
                row = prediction_row(prediction)
                if len(memo) > 50_000:
                    memo.clear()
                memo[key] = row
                for i in positions:
                    rows[i] = dict(row)
        results.extend(rows)
        if progress:
            progress(len(chunk))
    added = pd.DataFrame(results, columns=list(RESULT_COLUMNS), index=frame.index)
    for name, value in classifier.versions.items():
        added[name] = value
    if id_column and id_column in frame.columns:
        repeated = frame[id_column].duplicated(keep=False) & (frame[id_column].str.strip() != "")
        added.loc[repeated, "warning"] = DUPLICATE_ID
    clash = [c for c in RESULT_COLUMNS if c in frame.columns]
    base = frame.rename(columns={c: f"input_{c}" for c in clash})
    return pd.concat([base, added], axis=1)


def _input_fingerprint(raw: bytes, text_column: str) -> str:
    return hashlib.sha256(raw + b"\x1f" + text_column.encode("utf-8")).hexdigest()


def run_batch(classifier: Classifier, source: Path, target: Path, *, text_column: str = "text",
              progress_factory: Callable[[int], object] | None = None, excel_bom: bool = False,
              chunk_rows: int = 2000, restart: bool = False) -> int:
    """Classify ``source`` into ``target`` (CSV or XLSX by extension) in chunks; return the rows written.

    Results are appended to ``target.partial.csv`` chunk by chunk, and a small JSON file records
    how far the run got, so memory stays bounded and an interrupted run resumes where it stopped
    (unless ``restart``). Only a finished run replaces ``target``.
    """
    raw = source.read_bytes()
    frame = read_table(raw, source.name)
    require_column(frame, text_column)
    partial = target.with_name(target.name + ".partial.csv")
    state_path = target.with_name(target.name + ".partial.json")
    fingerprint = _input_fingerprint(raw, text_column)
    done, size = 0, 0
    if not restart and state_path.is_file() and partial.is_file():
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if state.get("input") == fingerprint:
            done, size = int(state["rows_done"]), int(state["bytes"])
    if done == 0:
        partial.unlink(missing_ok=True)
    bar = progress_factory(len(frame)) if progress_factory else None
    if bar is not None and done:
        bar.update(done)
    memo: dict = {}
    repeated = None
    if "id" in frame.columns:
        repeated = frame["id"].duplicated(keep=False) & (frame["id"].str.strip() != "")
    try:
        with open(partial, "ab") as handle:
            handle.truncate(size)  # drop anything written after the last recorded chunk
            for start in range(done, len(frame), chunk_rows):
                chunk = frame.iloc[start:start + chunk_rows]
                out = classify_frame(classifier, chunk, text_column=text_column, memo=memo,
                                     progress=bar.update if bar is not None else None)
                if repeated is not None:  # ids repeated anywhere in the file, not only in this chunk
                    out.loc[repeated.loc[chunk.index], "warning"] = DUPLICATE_ID
                data = to_csv_bytes(out, excel_bom=excel_bom and start == 0)
                if start > 0:
                    data = data.split(b"\n", 1)[1]  # the header is written once
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                done, size = start + len(chunk), handle.tell()
                _write_json(state_path, {"input": fingerprint, "rows_done": done, "bytes": size,
                                         "source": source.name, "target": target.name})
    finally:
        if bar is not None:
            bar.close()
    if len(frame) == 0:
        partial.write_bytes(to_csv_bytes(classify_frame(classifier, frame, text_column=text_column)))
    if target.suffix.lower() == ".xlsx":
        write_table(pd.read_csv(partial, dtype=str, keep_default_na=False), target)
        partial.unlink()
    else:
        partial.replace(target)
    state_path.unlink(missing_ok=True)
    return len(frame)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)
