"""The review queue, driven by AppTest with the stand-in classifier and a private decision store."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from classifier.review.decisions import DecisionStore
from classifier.settings import PROJECT_ROOT

REGISTRY = pd.DataFrame({
    "applicant": ["甲", "乙", "丙"],
    "description": ["以人臉辨識進行員工打卡", "以深度學習檢測PCB瑕疵並提升良率", "為銀行建置信用卡盜刷偵測模型"],
    "registered_code": ["4.1.2", "4.10.1", "2.3.4 無人機應用"],
})


@pytest.fixture
def queue(stub_classifier, stub_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    monkeypatch.setenv("AIREG_DECISIONS", str(tmp_path / "decisions.sqlite"))
    stub_classifier.save(stub_settings)
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    at.run()
    at.radio(key="page").set_value("queue").run()
    at.file_uploader(key="queue_file").set_value(
        ("registry.csv", REGISTRY.to_csv(index=False).encode("cp950"), "text/csv")).run()
    at.button(key="queue_run").click().run()
    assert not at.exception
    return at, DecisionStore(tmp_path / "decisions.sqlite")


def _form_button(at, label):
    return next(b for b in at.button if b.label == label)


def test_queue_asks_for_a_reviewer_first(queue):
    at, _ = queue
    assert any("審查人員姓名" in i.value for i in at.info)


def test_accept_records_a_decision_and_moves_on(queue):
    at, store = queue
    at.text_input(key="reviewer").input("王小明").run()
    first = at.subheader[0].value
    assert first.startswith("案件 1／3")
    _form_button(at, "接受建議").click().run()
    assert not at.exception
    assert store.count() == 1
    decision = store.history()[0]
    assert decision.reviewer == "王小明" and decision.action == "accept" and decision.model_version.startswith("hashing")
    assert at.subheader[0].value.startswith("案件 2／3")


def test_override_needs_a_reason(queue):
    at, store = queue
    at.text_input(key="reviewer").input("林審查").run()
    form_code = next(s for s in at.selectbox if s.key and s.key.startswith("final_code_"))
    current = form_code.value
    form_code.set_value("4.6.1" if current != "4.6.1" else "4.1.2")
    _form_button(at, "儲存修改").click().run()
    assert store.count() == 0
    assert at.error[0].value == "修改建議項目或判定（或退回）時，請填寫理由。"
    form_code = next(s for s in at.selectbox if s.key and s.key.startswith("final_code_"))
    form_code.set_value("4.6.1" if current != "4.6.1" else "4.1.2")
    next(t for t in at.text_input if t.key and t.key.startswith("reason_")).input("描述為產線瑕疵檢測")
    _form_button(at, "儲存修改").click().run()
    assert store.count() == 1 and store.history()[0].action == "change_code"
    assert store.history()[0].reason == "描述為產線瑕疵檢測"


def _shown_case(at) -> str:
    texts = [m.value for m in at.markdown]
    return next(d for d in REGISTRY["description"] if any(d in t for t in texts))


def test_skip_keeps_nothing_and_shows_the_next_case(queue):
    at, store = queue
    at.text_input(key="reviewer").input("王小明").run()
    before = _shown_case(at)
    _form_button(at, "略過").click().run()
    assert store.count() == 0 and not at.exception
    assert _shown_case(at) != before


def test_summary_tab_offers_the_html_and_the_audit_trail(queue):
    at, _ = queue
    labels = [b.label for b in at.get("download_button")]
    assert {"下載摘要（HTML）", "下載重新分類結果（CSV）", "下載審查紀錄（CSV）"} <= set(labels)
