import pytest

from classifier.engine.application_form import application_summary
from classifier.errors import InputError
from classifier.messages import error_text

TEXT = "我們的產品是基於人臉辨識的員工打卡系統"


def test_contrast_places_the_item_among_all(stub_classifier):
    p = stub_classifier.classify(TEXT)
    other = p.suggestions[2].code
    c = stub_classifier.contrast(TEXT, other)
    assert c.code == other and c.rank >= 2 and c.gap >= 0
    assert c.score == pytest.approx(p.scores[other], abs=1e-4)
    top = stub_classifier.contrast(TEXT, max(p.scores, key=p.scores.get))
    assert top.rank == 1 and top.gap == 0


def test_contrast_lists_what_the_text_lacks(stub_classifier):
    c = stub_classifier.contrast(TEXT, "4.6.1")
    assert c.missing_terms and all(term not in "我們的產品是基於人臉辨識的員工打卡系統" for term in c.missing_terms)


def test_contrast_shows_rules_that_would_apply(stub_classifier):
    c = stub_classifier.contrast("智慧手環以AI分析心率變異，預警心房顫動", "4.13.5")
    assert "wearable_certification_unknown" in {h.rule_id for h in c.rule_hits}


def test_contrast_rejects_an_unknown_code_in_chinese(stub_classifier):
    with pytest.raises(InputError) as err:
        stub_classifier.contrast(TEXT, "9.9.9")
    assert err.value.reason == "unknown_code"


def test_rulings_link_to_items_both_ways(stub_classifier):
    assert [r.faq for r in stub_classifier.rulings_for("4.1.2")] == [8]
    assert 23 in [r.faq for r in stub_classifier.rulings_for("4.13.5")]
    assert 14 in [r.faq for r in stub_classifier.rulings_for("4.12.1")]  # scoped rule, named code
    assert stub_classifier.ruling(17).codes == ("4.8.1",)
    assert stub_classifier.rulings_for("3.2.1") == ()


def test_summary_names_the_item_and_the_requirements(stub_classifier, monkeypatch):
    from test_pipeline import pin_top

    pin_top(monkeypatch, stub_classifier, "4.8.1")
    p = stub_classifier.classify("我們的無人店完全基於RFID標籤結帳")
    text = application_summary(p, stub_classifier.notes)
    assert text.startswith("建議申請項目：4.8.1 智慧結帳/商品識別")
    assert "資格判定：不符合" in text and "FAQ 17" in text and "實績須呈現" in text and "二年內" in text
    english = application_summary(p, stub_classifier.notes, lang="en")
    assert english.startswith("Suggested item: 4.8.1") and "RFID" in english


def test_input_errors_read_in_traditional_chinese():
    error = InputError("x", reason="missing_column", column="text", found=["id", "描述"], option="text")
    assert error_text(error, surface="page") == "找不到說明文字欄位「text」；檔案中的欄位有：id、描述。請在上方選單選擇正確的欄位。"
    assert error_text(error, "en") == "Expected a text column named “text”; found columns id, description. Name it with --text-column." \
        .replace("description", "描述")
    assert error_text(InputError("odd")) == "輸入有誤：odd"
