"""Hostile input: any string, odd files, a 50,000-row batch, an interrupted run, damaged files."""

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.engine.embedding import resolve_model_path
from classifier.engine.model_store import EXPECTED_SHA256, MODEL_DIRNAME, verify_model_dir
from classifier.engine.onnx_model import open_onnx_encoder
from classifier.errors import InputError, ModelFetchError
from classifier.files import batch as batch_module
from classifier.files.batch import run_batch
from classifier.files.tables import read_table
from classifier.messages import t
from classifier.records import Prediction
from classifier.settings import BASE_MODEL, DEFAULT_MODEL

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(text=st.text(max_size=300))
def test_any_unicode_gives_a_prediction_or_a_clear_error(stub_classifier, text):
    try:
        p = stub_classifier.classify(text)
    except InputError as exc:
        assert exc.reason in {"empty_text", "symbols_only"} and str(exc).startswith("Expected")
        return
    assert isinstance(p, Prediction) and p.code in stub_classifier.taxonomy and len(p.scores) == 87
    assert p.verdict in {"eligible", "conditional", "ineligible"} and 0 <= p.best.confidence <= 1


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


@SLOW
@given(text=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=3, max_size=60))
def test_full_width_and_half_width_forms_agree(stub_classifier, text):
    try:
        half = stub_classifier.classify("以AI辨識 " + text)
    except InputError:
        return
    full = stub_classifier.classify(_full_width("以AI辨識 " + text))
    assert (full.code, full.verdict, full.scores) == (half.code, half.verdict, half.scores)


@pytest.mark.parametrize("text, outcome", [
    ("🤖🚀✨🔥", "symbols_only"),
    ("……！！？？——", "symbols_only"),
    ("\x00\x01\x02\x7f\x1b[31m", "symbols_only"),
    ("AI人脸識別 face ID ✓ 打卡", "ok"),
    ("ﾃｽﾄ　ＡＩ　顔認識 打卡", "ok"),
    ("<script>alert(1)</script> 人臉辨識", "ok"),
    ("=cmd|' /C calc'!A0 智慧客服", "ok"),
])
def test_odd_inputs(stub_classifier, text, outcome):
    if outcome == "ok":
        assert stub_classifier.classify(text).code
    else:
        with pytest.raises(InputError) as err:
            stub_classifier.classify(text)
        assert err.value.reason == outcome


def test_very_long_text_is_cut_and_says_so(stub_classifier):
    p = stub_classifier.classify("以深度學習檢測面板瑕疵。" * 5000)
    assert p.truncated and len(p.normalised) == stub_classifier.config.max_chars


def test_utf16_tab_separated_export_is_read():
    raw = "id\ttext\n1\t人臉辨識打卡\n".encode("utf-16")
    assert read_table(raw, "unicode.txt")["text"].tolist() == ["人臉辨識打卡"]


def test_duplicate_ids_are_kept_and_flagged(stub_classifier, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["1", "1", "2"], "text": ["人臉辨識打卡", "AI瑕疵檢測", "智慧客服"]}).to_csv(source, index=False)
    run_batch(stub_classifier, source, tmp_path / "out.csv", chunk_rows=1)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["id"].tolist() == ["1", "1", "2"]
    assert out["warning"].tolist()[:2] == [t("duplicate_id")] * 2 and out.loc[2, "warning"] == ""


def _big_file(path, rows: int) -> pd.DataFrame:
    dev = pd.read_csv("data/dev_eval.csv", dtype=str, keep_default_na=False)
    texts = (dev["text"].tolist() * (rows // len(dev) + 1))[:rows]
    frame = pd.DataFrame({"id": [f"r{i:05d}" for i in range(rows)], "text": texts})
    frame.loc[7, "text"] = ""  # a bad row in the middle stays in place
    frame.to_csv(path, index=False)
    return frame


def test_fifty_thousand_rows_in_bounded_chunks_lose_nothing(stub_classifier, tmp_path, monkeypatch):
    frame = _big_file(tmp_path / "big.csv", 50_000)
    seen = []
    original = batch_module.classify_frame

    def spy(classifier, chunk, **kwargs):
        seen.append(len(chunk))
        return original(classifier, chunk, **kwargs)

    monkeypatch.setattr(batch_module, "classify_frame", spy)
    assert run_batch(stub_classifier, tmp_path / "big.csv", tmp_path / "out.csv", chunk_rows=5000) == 50_000
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["id"].tolist() == frame["id"].tolist()
    assert out.loc[7, "error_code"] == "empty_text" and (out["error"] != "").sum() == 1
    assert max(seen) == 5000 and len(seen) == 10  # never more than one chunk in memory
    assert not (tmp_path / "out.csv.partial.csv").exists()


def test_an_interrupted_run_resumes_where_it_stopped(stub_classifier, tmp_path):
    frame = _big_file(tmp_path / "in.csv", 3000)
    run_batch(stub_classifier, tmp_path / "in.csv", tmp_path / "whole.csv", chunk_rows=500)

    class Interrupt(Exception):
        pass

    class Bar:
        def __init__(self):
            self.done = 0

        def update(self, n):
            self.done += n
            if self.done >= 1700:
                raise Interrupt

        def close(self):
            pass

    with pytest.raises(Interrupt):
        run_batch(stub_classifier, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=500,
                  progress_factory=lambda total: Bar())
    state = json.loads((tmp_path / "out.csv.partial.json").read_text())
    assert state["rows_done"] == 1500 and not (tmp_path / "out.csv").exists()
    resumed_from = []

    class Watch(Bar):
        def update(self, n):
            resumed_from.append(n)

    run_batch(stub_classifier, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=500,
              progress_factory=lambda total: Watch())
    assert resumed_from[0] == 1500  # the bar starts at the resume point; earlier chunks are not redone
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert pd.read_csv(tmp_path / "out.csv", dtype=str)["id"].tolist() == frame["id"].tolist()


def test_a_changed_input_does_not_resume_a_stale_partial(stub_classifier, tmp_path):
    _big_file(tmp_path / "in.csv", 600)
    (tmp_path / "out.csv.partial.csv").write_text("garbage\n", encoding="utf-8")
    (tmp_path / "out.csv.partial.json").write_text(json.dumps({"input": "other", "rows_done": 300, "bytes": 8}))
    run_batch(stub_classifier, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=200)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert len(out) == 600 and "garbage" not in out.columns


def test_a_damaged_model_file_is_refused_with_the_fix(tmp_path):
    model = tmp_path / MODEL_DIRNAME
    for rel in EXPECTED_SHA256:
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(b"not the weights")
    assert verify_model_dir(model)  # wrong hashes
    with pytest.raises(ModelFetchError) as err:
        resolve_model_path(BASE_MODEL, tmp_path, fetch=False)
    assert "Run `make model`" in str(err.value)
    with pytest.raises(ModelFetchError) as err:
        open_onnx_encoder(DEFAULT_MODEL, tmp_path, fetch=False)
    assert "Run `make model`" in str(err.value)
