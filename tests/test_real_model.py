"""The real embedding model, as users run it. `make test` fetches, verifies and builds it first."""

import pytest

from classifier.engine.model_store import MODEL_DIRNAME, verify_model_dir
from classifier.settings import Settings

pytestmark = pytest.mark.model


def test_the_cached_model_passes_its_hashes():
    assert verify_model_dir(Settings().cache_dir / MODEL_DIRNAME) == []


def test_face_recognition_punch_clock_is_4_1_2(real_classifier):
    # Worded afresh: the FAQ's own sentence is in the index, so it would prove nothing.
    p = real_classifier.classify("本公司的門禁考勤機以臉部特徵比對確認員工身分並自動記錄上下班時間，已銷售給四十家企業")
    assert p.code == "4.1.2" and p.verdict == "eligible"
    assert p.best.confidence > 0.5


@pytest.mark.parametrize("text, code", [
    ("我们开发了驾驶员疲劳检测系统，通过车内摄像头识别打哈欠和闭眼", "4.3.2"),
    ("Our vision system inspects solder joints on PCB lines and flags defects before shipment.", "4.6.1"),
    ("為銀行建置信用卡盜刷即時偵測模型", "4.10.1"),
    ("翻譯筆內建離線AI機器翻譯模型", "2.1.3"),
])
def test_real_sentences_in_three_scripts(real_classifier, text, code):
    assert code in [s.code for s in real_classifier.classify(text).suggestions[:3]]


def test_rfid_only_store_is_ineligible_but_rfid_plus_vision_is_not(real_classifier):
    only = real_classifier.classify("我們的產品是基於RFID的無人店解決方案")
    both = real_classifier.classify("我們的無人店不只是RFID，還用影像辨識商品並自動結帳")
    assert only.verdict == "ineligible" and "rfid_only" in only.rule_ids
    assert both.code == "4.8.1" and both.verdict == "eligible"


def test_explanation_cites_the_faq_precedent(real_classifier):
    p = real_classifier.classify("我們主要產品是基於人臉識別的打卡系統，請問適合申請哪個項目?")
    assert any(pr.source == "faq" and pr.ref == "8" for pr in p.best.precedents)


def test_vendor_and_adopter_perspectives_are_told_apart(real_classifier):
    vendor = real_classifier.classify("我們的AI客服平台已導入12家銀行與保險公司，協助客戶處理信用卡與保單問答。")
    adopter = real_classifier.classify("某銀行今年導入AI客服，在自家App與官網回答客戶的信用卡與帳戶問題，上線半年處理百萬次對話。")
    assert vendor.verdict == "eligible"
    assert adopter.verdict != "eligible" and any(h.faq == 1 for h in adopter.rule_hits)
    assert any("此服務是否對外收費" in q for q in adopter.follow_up)


def test_too_little_to_judge_is_never_a_bare_eligible(real_classifier):
    p = real_classifier.classify("我們做AI")
    assert p.verdict == "conditional" and p.needs_review and p.follow_up


def test_a_detector_hit_names_the_sentence_that_triggered_it(real_classifier):
    text = ("這家區域醫院的資訊室自行開發了急診候診時間預測模型。模型以過去三年的掛號與檢傷資料訓練，"
            "預測結果顯示在院內看板與醫院自己的掛號App上。院方表示明年將擴充到門診。")
    p = real_classifier.classify(text)
    inferred = [h for h in p.rule_hits if h.faq == 1]
    assert inferred and p.verdict != "eligible"
    assert any(h.trigger for h in inferred)
    assert all(h.trigger in p.normalised for h in inferred if h.trigger)


def test_the_users_words_are_shown_as_written(real_classifier):
    """「導入」 stays 「導入」 (not the phrase table's 「匯入」), and English terms are whole words."""
    text = "本公司為PCB廠導入深度學習瑕疵檢測系統，協助產線降低漏檢。"
    p = real_classifier.classify(text)
    terms = [term for s in p.suggestions for term in s.matched_terms]
    assert terms and all(term in text for term in terms) and not any("匯入" in term for term in terms)
    english = "Our SaaS platform uses deep learning for defect detection on PCB lines"
    for suggestion in real_classifier.classify(english).suggestions:
        for term in suggestion.matched_terms:
            assert f" {term.lower()} " in f" {english.lower()} ", term
