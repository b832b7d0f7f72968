"""The page, driven by Streamlit's AppTest with the fast stand-in classifier."""

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from classifier.messages import t
from classifier.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def app(stub_classifier, stub_settings, monkeypatch):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    monkeypatch.setenv("AIREG_CACHE_DIR", str(stub_settings.cache_dir))
    stub_classifier.save(stub_settings)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception
    return at


def _all_markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def classify(at, text):
    at.text_area(key="desc").input(text)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_first_visit_asks_for_a_description(app):
    assert app.title[0].value == "AI 技術服務能量登錄｜分類助手"
    assert any("請輸入產品或服務說明" in i.value for i in app.info)


def test_suggestion_card_with_reasons_and_summary(app):
    classify(app, "我們的產品是基於人臉辨識的員工打卡系統")
    heading = app.subheader[0].value
    assert re.match(r"^\d+\.\d+\.\d+ \S", heading)
    text = _all_markdown(app)
    assert "項目定義" in text and "最相似的先例" in text and "前五名候選" in text
    assert app.code[0].value.startswith("建議申請項目：" + heading.split(" ")[0])
    assert len(app.dataframe[0].value) == 5


def test_rule_hit_is_shown_with_its_faq_number(app):
    classify(app, "我們的產品是基於RFID標籤的無人店結帳方案")
    messages = [e.value for e in app.error] + [w.value for w in app.warning]
    assert any(m.startswith("FAQ 17｜rfid_only：RFID 是基於物理特性實作") for m in messages)
    assert ":red-badge[不符合]" in _all_markdown(app)


def test_user_text_is_escaped_never_html(app):
    classify(app, "<img src=x onerror=alert(1)> **粗體** [連結](javascript:alert(1)) 人臉辨識打卡")
    for block in app.markdown:
        assert "<img" not in block.value.replace("\\<img", "")
        assert "](javascript" not in block.value
    assert all(not getattr(m.proto, "allow_html", False) for m in app.markdown)


def test_empty_description_gets_a_chinese_message(app):
    classify(app, "   ")
    assert app.error[0].value == t("error_empty_text")


def test_why_not_compares_another_item(app):
    classify(app, "以深度學習檢測面板瑕疵並提升良率")
    app.selectbox(key="why_not_code").set_value("4.13.5").run()
    text = _all_markdown(app)
    assert re.search(r"第 \d+ 名／87", text)
    assert any("4.13.5" in w.value for w in app.warning)  # certified-hardware ruling would apply


def test_example_picker_fills_the_text_area(app):
    choice = app.selectbox(key="example_pick").options[1]
    app.selectbox(key="example_pick").set_value(choice).run()
    assert app.text_area(key="desc").value == choice


def test_english_toggle(app):
    app.radio(key="lang").set_value("English").run()
    assert app.title[0].value == "AI Service Registry | Classification Assistant"
    classify(app, "Face recognition time clock for factories")
    assert app.code[0].value.startswith("Suggested item:")


def test_browse_lists_87_items_and_searches(app):
    app.radio(key="page").set_value("browse").run()
    assert not app.exception
    assert len(app.main.expander) == 87
    app.text_input(key="browse_query").input("RFID").run()
    assert 1 <= len(app.main.expander) <= 5
    assert any("4.8.1" in e.label for e in app.main.expander)


def test_browse_links_items_and_rulings(app):
    app.radio(key="page").set_value("browse").run()
    app.text_input(key="browse_query").input("4.1.2").run()
    text = _all_markdown(app)
    assert "FAQ 8" in text and "人臉識別的打卡系統" in text


def _upload(app, name, data, mime="text/csv"):
    app.radio(key="page").set_value("batch").run()
    app.file_uploader(key="batch_file").set_value((name, data, mime)).run()
    assert not app.exception
    return app


def test_batch_big5_round_trip(app):
    frame = pd.DataFrame({"id": ["1", "2", "3"], "描述": ["人臉辨識打卡系統", "", "AI 瑕疵檢測"]})
    _upload(app, "registry.csv", frame.to_csv(index=False).encode("cp950"))
    assert app.selectbox(key="batch_text_column").value == "描述"
    app.button(key="batch_run").click().run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["id"].tolist() == ["1", "2", "3"]
    assert table.loc[1, "error_code"] == "empty_text" and table.loc[1, "error"] == t("error_empty_text")
    assert "完成：3 列" in app.success[0].value


def test_batch_quick_mode_answers_with_the_first_pass(app):
    frame = pd.DataFrame({"text": ["人臉辨識打卡系統", "據報導，某銀行導入新創公司開發的智慧客服系統，供內部員工查詢規章。"]})
    _upload(app, "in.csv", frame.to_csv(index=False).encode("utf-8-sig"))
    app.toggle(key="batch_quick").set_value(True).run()
    app.button(key="batch_run").click().run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table["text"].tolist() == frame["text"].tolist() and set(table["answered_by"]) == {"first_pass"}


def test_batch_filters(app):
    frame = pd.DataFrame({"text": ["人臉辨識打卡系統", "RFID 無人店", "AI 預測設備故障"]})
    _upload(app, "in.csv", frame.to_csv(index=False).encode("utf-8-sig"))
    app.button(key="batch_run").click().run()
    app.multiselect(key="batch_verdicts").set_value(["ineligible"]).run()
    shown = app.dataframe[0].value
    assert len(shown) >= 1  # the RFID-only row is ineligible; an empty table would pass a subset check
    assert set(shown["verdict"]) == {"ineligible"}


@pytest.mark.parametrize("name, data, expected", [
    ("empty.csv", b"", "是空的"),
    ("junk.csv", b"id,text\n1,\x00\x01\x02", "不是文字 CSV 檔"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "無法開啟 Excel 檔"),
])
def test_bad_files_get_a_clear_message(app, name, data, expected):
    _upload(app, name, data)
    assert app.error and expected in app.error[0].value and name in app.error[0].value
