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
from classifier.files.output import prediction_row
from classifier.files.tables import (
    TEXT_COLUMNS,
    check_output,
    pick_column,
    read_input,
    read_table,
    to_csv_bytes,
    write_table,
)
from classifier.messages import error_text, t
from classifier.records import Prediction

RESULT_COLUMNS = (
    "code", "name", "confidence", "verdict", "verdict_zh", "rule_ids", "rulings", "top3", "needs_review",
    "review_reasons", "review_why", "reasons", "follow_up", "truncated", "answered_by", "error", "error_code",
    "warning", "model_version", "taxonomy_version",
)
CHUNK_ROWS = 256


def error_row(error: InputError, lang: str = "zh") -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(RESULT_COLUMNS, "")
    row.update(confidence=None, needs_review=True, truncated=False, error=error_text(error, lang),
               error_code=error.reason)
    return row


def classify_texts(classifier: Classifier, texts: list, *, chunk_rows: int = CHUNK_ROWS,
                   progress: Callable[[int], None] | None = None) -> list[Prediction | InputError]:
    """One prediction, or the InputError that stopped it, per text, in order.

    The classifier classifies each distinct text once and reuses the answers it gave before."""
    results: list[Prediction | InputError] = []
    for start in range(0, len(texts), chunk_rows):
        chunk = texts[start:start + chunk_rows]
        out: list[Prediction | InputError | None] = [None] * len(chunk)
        valid = []
        for i, text in enumerate(chunk):
            try:
                check_text(text, classifier.config.max_chars)
                valid.append(i)
            except InputError as exc:
                out[i] = exc
        if valid:
            for i, prediction in zip(valid, classifier.classify_many([chunk[i] for i in valid])):
                out[i] = prediction
        results.extend(out)
        if progress:
            progress(len(chunk))
    return results


def result_rows(results: list[Prediction | InputError], lang: str = "zh") -> list[dict[str, object]]:
    return [error_row(r, lang) if isinstance(r, InputError) else prediction_row(r, lang) for r in results]


def duplicate_ids(frame: pd.DataFrame, id_column: str | None) -> pd.Series | None:
    """Rows whose id occurs more than once (blank ids do not count), or None without an id column."""
    if not id_column or id_column not in frame.columns:
        return None
    ids = frame[id_column].astype(str).str.strip()
    return ids.duplicated(keep=False) & (ids != "")


def classify_frame(classifier: Classifier, frame: pd.DataFrame, *, text_column: str | None = None,
                   chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None,
                   id_column: str | None = "id", lang: str = "zh",
                   repeated: pd.Series | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the result columns added; one output row per input row, same order.

    A row that cannot be classified (empty text, symbols only) gets a message in ``error``;
    a repeated id gets a note in ``warning``. Without ``text_column`` the usual names are tried."""
    text_column = pick_column(frame, text_column, TEXT_COLUMNS, "text")
    results = classify_texts(classifier, frame[text_column].tolist(), chunk_rows=chunk_rows, progress=progress)
    repeated = duplicate_ids(frame, id_column) if repeated is None else repeated
    return joined(frame, result_rows(results, lang), RESULT_COLUMNS, classifier.versions, repeated, lang)


def joined(frame: pd.DataFrame, rows: list[dict], result_columns: tuple[str, ...], versions: dict[str, str],
           repeated: pd.Series | None, lang: str) -> pd.DataFrame:
    """Every input column, in input order, then the result columns: versions on every row, a warning
    on repeated ids, and input columns named like result columns kept as ``input_<name>``."""
    added = pd.DataFrame(rows, columns=list(result_columns), index=frame.index)
    for name, value in versions.items():
        added[name] = value
    if repeated is not None:
        added.loc[repeated.to_numpy(), "warning"] = t("duplicate_id", lang)
    clash = [c for c in result_columns if c in frame.columns]
    return pd.concat([frame.rename(columns={c: f"input_{c}" for c in clash}), added], axis=1)


def _input_fingerprint(raw: bytes, *options: str) -> str:
    return hashlib.sha256(raw + b"\x1f" + "\x1f".join(options).encode("utf-8")).hexdigest()


def run_batch(classifier: Classifier, source: Path, target: Path, *, text_column: str | None = None,
              progress_factory: Callable[[int], object] | None = None, bom: bool = True,
              chunk_rows: int = 2000, restart: bool = False, lang: str = "zh",
              on_columns: Callable[[str], None] | None = None) -> int:
    """Classify ``source`` into ``target`` (CSV or XLSX by extension) in chunks; return the rows written.

    Results are appended to ``target.partial.csv`` chunk by chunk, and a small JSON file records
    how far the run got, so memory stays bounded and an interrupted run resumes where it stopped
    (unless ``restart``). Only a finished run replaces ``target``. ``on_columns`` hears which text
    column was used before the work starts.
    """
    check_output(target, source)
    raw = read_input(source)
    frame = read_table(raw, source.name)
    text_column = pick_column(frame, text_column, TEXT_COLUMNS, "text")
    if on_columns:
        on_columns(text_column)
    to_xlsx = target.suffix.lower() == ".xlsx"
    bom = bom and not to_xlsx  # the partial CSV becomes the final file only for CSV targets
    partial = target.with_name(target.name + ".partial.csv")
    state_path = target.with_name(target.name + ".partial.json")
    fingerprint = _input_fingerprint(raw, text_column, lang, str(bom))
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
    repeated = duplicate_ids(frame, "id")
    try:
        with open(partial, "ab") as handle:
            handle.truncate(size)  # drop anything written after the last recorded chunk
            for start in range(done, len(frame), chunk_rows):
                chunk = frame.iloc[start:start + chunk_rows]
                out = classify_frame(classifier, chunk, text_column=text_column, lang=lang,
                                     progress=bar.update if bar is not None else None,
                                     repeated=None if repeated is None else repeated.loc[chunk.index])
                data = to_csv_bytes(out, bom=bom and start == 0)
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
        partial.write_bytes(to_csv_bytes(classify_frame(classifier, frame, text_column=text_column, lang=lang),
                                         bom=bom))
    if to_xlsx:
        write_table(pd.read_csv(partial, dtype=str, keep_default_na=False, encoding="utf-8-sig"), target)
        partial.unlink()
    else:
        partial.replace(target)
    state_path.unlink(missing_ok=True)
    return len(frame)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)
