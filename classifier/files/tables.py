"""Read user spreadsheets (CSV in UTF-8 / UTF-8 BOM / CP950 / Big5, or XLSX) and write safe ones."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from classifier.errors import InputError

ENCODINGS = ("utf-8-sig", "cp950", "big5hkscs")
EXTRA_COLUMN = "extra_fields"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"


def decode(raw: bytes) -> tuple[str, str]:
    """Text and the encoding that read it; Taiwanese Excel writes CP950 (Big5), or UTF-16 for 'Unicode text'."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"Expected a CSV file in one of {', '.join(ENCODINGS)}; it could not be read in any of them. "
        "Save it from Excel as 'CSV UTF-8' and try again.",
        reason="bad_encoding",
    )


def _rows_to_frame(rows: list[list[str]], source: str) -> pd.DataFrame:
    # A blank line is not a row in CSV; a line of empty cells is, and is kept.
    rows = [r for r in rows if r]
    if not rows:
        raise InputError(f"Expected a header row and data rows; {source} is empty.", reason="empty_file")
    header = [h.strip() if h else "" for h in rows[0]]
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            seen[name] += 1
            header[i] = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
    width = len(header)
    body = []
    ragged = False
    for row in rows[1:]:
        if len(row) > width:
            ragged = True
            row = row[:width] + [",".join(row[width:])]
        else:
            row = row + [""] * (width - len(row))
        body.append(row)
    columns = header + ([EXTRA_COLUMN] if ragged else [])
    body = [r + [""] * (len(columns) - len(r)) for r in body]
    return pd.DataFrame(body, columns=columns, dtype=str)


def read_table(source: Path | bytes, name: str = "") -> pd.DataFrame:
    """Every cell as a string. Short rows are padded; extra cells go to `extra_fields`: no row is lost."""
    raw = source.read_bytes() if isinstance(source, Path) else bytes(source)
    label = name or (source.name if isinstance(source, Path) else "the file")
    if not raw.strip():
        raise InputError(f"Expected a header row and data rows; {label} is empty.", reason="empty_file")
    if raw.startswith(XLSX_MAGIC) or label.lower().endswith((".xlsx", ".xlsm")):
        try:
            frame = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="openpyxl", header=None)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
            raise InputError(f"Expected an Excel .xlsx workbook; {label} could not be opened ({exc}).",
                             reason="bad_xlsx") from exc
        rows = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
        return _rows_to_frame(rows, label)
    text, _encoding = decode(raw)
    if "\x00" in text:
        raise InputError(f"Expected a text CSV file; {label} contains binary data. Upload a CSV or XLSX file.",
                         reason="binary_file")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"Expected a well-formed CSV; {label} could not be parsed ({exc}).", reason="bad_csv") from exc
    return _rows_to_frame(rows, label)


def require_column(frame: pd.DataFrame, column: str, what: str = "text") -> None:
    if column not in frame.columns:
        raise InputError(
            f"Expected a {what} column named {column!r}; found columns {list(frame.columns)}. "
            f"Choose the right column (CLI: --{what}-column NAME).",
            reason="missing_column", column=column, found=list(frame.columns),
        )


def neutralise_cell(value: object) -> object:
    """Prefix a quote to cells Excel would run as formulas (= + - @)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out


def to_csv_bytes(frame: pd.DataFrame, *, excel_bom: bool = False) -> bytes:
    data = safe_frame(frame).to_csv(index=False, lineterminator="\n")
    return data.encode("utf-8-sig" if excel_bom else "utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "results") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, path: Path, *, excel_bom: bool = False) -> None:
    """Write CSV (UTF-8) or XLSX by the file's extension, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = to_xlsx_bytes(frame) if path.suffix.lower() == ".xlsx" else to_csv_bytes(frame, excel_bom=excel_bom)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
