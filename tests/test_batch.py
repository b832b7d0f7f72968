import io

import pandas as pd
import pytest

from classifier.errors import InputError
from classifier.files.batch import RESULT_COLUMNS, classify_frame, run_batch
from classifier.files.tables import neutralise_cell, read_table, to_csv_bytes

ROWS = [
    ("a1", "我們的產品是基於人臉辨識的員工打卡系統"),
    ("a2", ""),
    ("a3", "以深度學習檢測PCB瑕疵並回饋製程參數"),
    ("a4", "！！！"),
    ("a5", "=HYPERLINK(\"http://x\")智慧客服聊天機器人"),
]


def _csv(encoding: str) -> bytes:
    frame = pd.DataFrame(ROWS, columns=["id", "text"])
    return frame.to_csv(index=False).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950", "big5"])
def test_reads_the_encodings_taiwanese_excel_writes(encoding):
    frame = read_table(_csv(encoding), "in.csv")
    assert list(frame.columns) == ["id", "text"]
    assert frame["text"].tolist() == [t for _, t in ROWS]


def test_reads_xlsx():
    buffer = io.BytesIO()
    pd.DataFrame(ROWS, columns=["id", "text"]).to_excel(buffer, index=False)
    frame = read_table(buffer.getvalue(), "in.xlsx")
    assert frame["id"].tolist() == ["a1", "a2", "a3", "a4", "a5"]


def test_ids_stay_strings():
    frame = read_table(b"id,text\n007,x\n4.10,y\n", "in.csv")
    assert frame["id"].tolist() == ["007", "4.10"]


def test_ragged_rows_lose_nothing():
    frame = read_table("id,text\n1,短\n2,多,出來,的\n3\n".encode(), "in.csv")
    assert len(frame) == 3
    assert frame.loc[1, "extra_fields"] == "出來,的"
    assert frame.loc[2, "text"] == ""


def test_wrong_encoding_and_empty_file_are_clear_errors():
    with pytest.raises(InputError, match="is empty"):
        read_table(b"", "in.csv")
    with pytest.raises(InputError, match="binary data"):
        read_table(b"id,text\n1,\x00\x01\x02", "in.csv")


def test_every_row_comes_back_in_order_with_errors_marked(stub_classifier):
    frame = read_table(_csv("cp950"), "in.csv")
    out = classify_frame(stub_classifier, frame)
    assert out["id"].tolist() == ["a1", "a2", "a3", "a4", "a5"]
    assert list(out.columns) == ["id", "text", *RESULT_COLUMNS]
    assert out.loc[1, "error"] and out.loc[3, "error"] and out.loc[1, "code"] == ""
    assert out.loc[0, "error"] == "" and out.loc[0, "code"] in stub_classifier.taxonomy
    assert all(len(t.split(";")) == 3 for t in out.loc[[0, 2, 4], "top3"])
    assert frame.columns.tolist() == ["id", "text"]  # the caller's frame is untouched


def test_chunking_does_not_reorder(stub_classifier):
    texts = [f"第{i}號：以AI辨識{'人臉' if i % 2 else '瑕疵'}" for i in range(23)]
    frame = pd.DataFrame({"id": [str(i) for i in range(23)], "text": texts})
    whole = classify_frame(stub_classifier, frame)
    chunked = classify_frame(stub_classifier, frame, chunk_rows=4)
    pd.testing.assert_frame_equal(whole, chunked)


def test_input_columns_named_like_results_are_kept(stub_classifier):
    frame = pd.DataFrame({"text": ["人臉辨識打卡"], "code": ["4.1.2"]})
    out = classify_frame(stub_classifier, frame)
    assert out.loc[0, "input_code"] == "4.1.2" and "code" in out.columns


def test_missing_text_column_lists_the_columns_found(stub_classifier):
    with pytest.raises(InputError) as err:
        classify_frame(stub_classifier, pd.DataFrame({"備註": ["x"]}))
    assert err.value.reason == "missing_column" and err.value.detail["found"] == ["備註"]
    assert "--text-column" in str(err.value)
    with pytest.raises(InputError, match="named 'description'"):
        classify_frame(stub_classifier, pd.DataFrame({"說明": ["x"]}), text_column="description")


def test_batch_finds_the_text_column_by_its_usual_names(stub_classifier):
    for name in ("說明", "服務說明", "Description", "描述"):
        out = classify_frame(stub_classifier, pd.DataFrame({"id": ["1"], name: ["以人臉辨識進行員工打卡"]}))
        assert out.loc[0, "code"] and out.loc[0, "error"] == ""


@pytest.mark.parametrize("cell, safe", [("=1+1", "'=1+1"), ("+886", "'+886"), ("-3", "'-3"), ("@SUM", "'@SUM"),
                                        ("人臉", "人臉"), ("", "")])
def test_formula_cells_are_neutralised(cell, safe):
    assert neutralise_cell(cell) == safe


def test_run_batch_writes_a_safe_utf8_csv(stub_classifier, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(_csv("cp950"))
    run_batch(stub_classifier, source, tmp_path / "out.csv")
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8 only with the BOM
    out = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(out) == len(ROWS) and out["id"].tolist() == ["a1", "a2", "a3", "a4", "a5"]
    assert out.loc[4, "text"].startswith("'=")
    assert b"\n=" not in raw and b",=" not in raw


def test_csv_bytes_can_carry_a_bom_for_excel():
    assert to_csv_bytes(pd.DataFrame({"a": ["x"]})).startswith(b"\xef\xbb\xbf")
    assert to_csv_bytes(pd.DataFrame({"a": ["x"]}), bom=False) == b"a\nx\n"


def test_xlsx_has_real_types_a_frozen_filtered_header_and_wrapped_reasons(stub_classifier, tmp_path):
    from openpyxl import load_workbook

    source = tmp_path / "in.csv"
    source.write_bytes(_csv("cp950"))
    run_batch(stub_classifier, source, tmp_path / "out.xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [c.value for c in sheet[1]]
    column = {name: i + 1 for i, name in enumerate(header)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(ROWS)
    confidences = [r[column["confidence"] - 1] for r in rows if r[column["error"] - 1] in (None, "")]
    assert confidences and all(isinstance(v, float) and 0 <= v <= 1 for v in confidences)
    assert all(isinstance(r[column["needs_review"] - 1], bool) for r in rows)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    letter = sheet.cell(row=1, column=column["reasons"]).column_letter
    assert sheet.column_dimensions[letter].width >= 40
    assert sheet.cell(row=2, column=column["reasons"]).alignment.wrap_text
    widths = {sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert len(widths) > 2  # fitted to the content, not every column the same
    assert sheet.cell(row=1, column=column["verdict_zh"]).value == "verdict_zh"


def test_batch_rows_carry_readable_columns_beside_machine_ones(stub_classifier):
    out = classify_frame(stub_classifier, pd.DataFrame({"text": ["以人臉辨識進行員工打卡", "僅用RFID感應門禁卡"]}))
    assert list(out["verdict"]) and set(out["verdict_zh"]) <= {"符合", "有條件", "不符合"}
    for _, row in out.iterrows():
        assert row["name"] == stub_classifier.taxonomy[row["code"]].name
        assert "相近" in row["reasons"] and "r-0" not in row["reasons"]
        if row["rule_ids"]:
            assert row["rulings"].startswith("問答集第")
        if row["review_reasons"]:
            assert "_" not in row["review_why"]
