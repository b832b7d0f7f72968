"""Read user spreadsheets (CSV in UTF-8 / UTF-8 BOM / CP950 / Big5, or XLSX) and write safe,
Excel-ready ones; find the text and code columns the same way for every command."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from classifier.errors import InputError

ENCODINGS = ("utf-8-sig", "cp950", "big5hkscs")
EXTRA_COLUMN = "extra_fields"
OUTPUT_SUFFIXES = (".csv", ".xlsx")
# Column names users give their descriptions, registered codes and applicants, in order of preference.
TEXT_COLUMNS = ("text", "description", "說明", "服務說明", "產品說明", "服務內容", "描述", "內容", "summary")
CODE_COLUMNS = ("registered_code", "registered_codes", "code", "登錄項目", "登錄代碼", "項目代碼", "項目")
APPLICANT_COLUMNS = ("applicant", "company", "vendor", "申請者", "申請單位", "申請機構", "機構名稱", "公司名稱",
                     "公司", "廠商")
# Result columns written as numbers and booleans in XLSX, and the long ones that wrap.
NUMBER_COLUMNS = ("confidence", "review_priority")
BOOL_COLUMNS = ("needs_review", "truncated")
WRAP_COLUMNS = ("reasons", "rulings", "review_why", "follow_up", "registered_rulings", "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"


def decode(raw: bytes, name: str = "the file") -> tuple[str, str]:
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
        reason="bad_encoding", name=name,
    )


def _rows_to_frame(rows: list[list[str]], source: str) -> pd.DataFrame:
    # A blank line is not a row in CSV; a line of empty cells is, and is kept.
    rows = [r for r in rows if r]
    if not rows:
        raise InputError(f"Expected a header row and data rows; {source} is empty.", reason="empty_file",
                         name=source)
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


def read_input(path: Path) -> bytes:
    """The bytes of a user's input file, or an InputError that says what is wrong with the path."""
    return _open_input(path, lambda handle: handle.read())


def check_input(path: Path) -> None:
    """Raise read_input's error for a path that cannot be read, without reading the file."""
    _open_input(path, lambda handle: None)


def _open_input(path: Path, use):
    path = Path(path)
    if path.is_dir():
        raise InputError(f"Expected a file; {path} is a folder.", reason="is_directory", path=str(path))
    try:
        with path.open("rb") as handle:
            return use(handle)
    except FileNotFoundError:
        raise InputError(f"Expected a file at {path}; there is none.", reason="missing_file", path=str(path),
                         cwd=str(Path.cwd())) from None
    except PermissionError:
        raise InputError(f"Expected a readable file; {path} cannot be read.", reason="not_readable",
                         path=str(path)) from None


def check_folder(target: Path) -> None:
    """The folder an output goes to must exist: creating a mistyped folder hides the mistake."""
    folder = Path(target).parent
    if not folder.is_dir():
        raise InputError(f"Expected an existing output folder; {folder} does not exist.", reason="missing_folder",
                         folder=str(folder))


def check_output(target: Path, source: Path | None = None) -> None:
    """Refuse, before any work starts, an output that cannot be written where the user asked."""
    target = Path(target)
    if target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"Expected the output to end in .csv or .xlsx; found {target}.", reason="bad_output_type",
                         path=str(target))
    check_folder(target)
    folder = target.parent
    if target.is_dir():
        raise InputError(f"Expected a file; {target} is a folder.", reason="is_directory", path=str(target))
    if source is not None and source.exists() and target.exists() and target.resolve() == Path(source).resolve():
        raise InputError(f"Expected an output other than the input; both are {target}.", reason="same_file",
                         path=str(target))
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"Expected to write {target}; it cannot be written.", reason="not_writable", path=str(target))


def read_table(source: Path | bytes, name: str = "") -> pd.DataFrame:
    """Every cell as a string. Short rows are padded; extra cells go to `extra_fields`: no row is lost."""
    raw = read_input(source) if isinstance(source, Path) else bytes(source)
    label = name or (source.name if isinstance(source, Path) else "the file")
    if not raw.strip():
        raise InputError(f"Expected a header row and data rows; {label} is empty.", reason="empty_file",
                         name=label)
    if raw.startswith(XLSX_MAGIC) or label.lower().endswith((".xlsx", ".xlsm")):
        try:
            frame = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="openpyxl", header=None)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
            raise InputError(f"Expected an Excel .xlsx workbook; {label} could not be opened ({exc}).",
                             reason="bad_xlsx", name=label) from exc
        rows = [["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
        return _rows_to_frame(rows, label)
    text, _encoding = decode(raw, label)
    if "\x00" in text:
        raise InputError(f"Expected a text CSV file; {label} contains binary data. Upload a CSV or XLSX file.",
                         reason="binary_file", name=label)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"Expected a well-formed CSV; {label} could not be parsed ({exc}).", reason="bad_csv",
                         name=label) from exc
    return _rows_to_frame(rows, label)


def require_column(frame: pd.DataFrame, column: str, option: str = "text", kind: str = "") -> None:
    """``option`` names the CLI flag that picks the column (--text-column, --code-column);
    ``kind`` what the column holds, when that differs (a gold label picked with --code-column)."""
    if column not in frame.columns:
        raise InputError(
            f"Expected a {kind or option} column named {column!r}; found columns {list(frame.columns)}. "
            f"Name it with --{option}-column.",
            reason="missing_column", column=column, found=list(frame.columns), option=option, kind=kind or option,
        )


def find_column(frame: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    """The first candidate present, matching case and surrounding spaces loosely."""
    by_key = {str(c).strip().lower(): c for c in frame.columns}
    return next((by_key[name.lower()] for name in candidates if name.lower() in by_key), None)


def pick_column(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], option: str) -> str:
    """The column the user named, or the first usual name present; batch and reclassify share it."""
    if wanted:
        require_column(frame, wanted, option)
        return wanted
    found = find_column(frame, candidates)
    if found is None:
        raise InputError(
            f"Expected a {option} column (one of {list(candidates)}); found columns {list(frame.columns)}. "
            f"Name it with --{option}-column.", reason="missing_column", column="／".join(candidates),
            found=list(frame.columns), option=option, kind=option,
        )
    return found


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


def to_csv_bytes(frame: pd.DataFrame, *, bom: bool = True) -> bytes:
    """UTF-8 CSV, with a BOM unless ``bom=False``: without it Excel reads UTF-8 as Big5 and garbles it."""
    data = safe_frame(frame).to_csv(index=False, lineterminator="\n")
    return data.encode("utf-8-sig" if bom else "utf-8")


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Result columns as real numbers and booleans (a CSV round trip leaves them as text)."""
    out = frame.copy()
    for column in NUMBER_COLUMNS:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column].replace("", None), errors="coerce").astype(object)
            out[column] = out[column].where(out[column].notna(), None)
    for column in BOOL_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(_as_bool).astype(object)
    return out


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else None


def _display_width(value: object) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "results") -> bytes:
    """An XLSX that reads well as it opens: frozen header with filters, fitted widths, wrapped reasons,
    numbers and booleans as real cells."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    safe = safe_frame(typed(frame))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        ws.freeze_panes = "A2"
        if len(safe.columns):
            ws.auto_filter.ref = ws.dimensions
        wrap = Alignment(wrap_text=True, vertical="top")
        for position, column in enumerate(safe.columns, start=1):
            letter = get_column_letter(position)
            sample = [column, *safe[column].head(200).tolist()]
            widest = max((_display_width(v) for v in sample if v is not None), default=8)
            long_text = column in WRAP_COLUMNS or widest > 60
            ws.column_dimensions[letter].width = 60 if long_text else max(8, min(widest + 2, 40))
            ws.cell(row=1, column=position).font = Font(bold=True)
            if long_text:
                for (cell,) in ws.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.alignment = wrap
    return buffer.getvalue()


def write_table(frame: pd.DataFrame, path: Path, *, bom: bool = True) -> None:
    """Write CSV (UTF-8, BOM by default) or XLSX by the file's extension, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = to_xlsx_bytes(frame) if path.suffix.lower() == ".xlsx" else to_csv_bytes(frame, bom=bom)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
