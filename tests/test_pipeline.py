import re

import pytest

from classifier.errors import InputError
from classifier.records import Prediction


def test_prediction_shape(stub_classifier):
    p = stub_classifier.classify("我們的產品是基於人臉辨識的員工打卡系統")
    assert isinstance(p, Prediction)
    assert len(p.suggestions) == 5
    assert len(p.scores) == 87 and all(isinstance(code, str) for code in p.scores)
    assert all(0.0 <= s.confidence <= 1.0 for s in p.suggestions)
    assert p.verdict in {"eligible", "conditional", "ineligible"}
    best = p.best
    assert best.definition and best.path.startswith(best.code.split(".")[0] + " ")
    assert best.precedents and all(pr.code == best.code for pr in best.precedents)


def test_classify_is_classify_many_of_one(stub_classifier):
    text = "以深度學習偵測面板瑕疵並提升良率"
    assert stub_classifier.classify(text) == stub_classifier.classify_many([text])[0]


def test_top_k_is_a_parameter(stub_classifier):
    assert len(stub_classifier.classify("智慧客服聊天機器人", top_k=3).suggestions) == 3


@pytest.mark.parametrize("bad", ["", "   ", "！？。，", None, "\u200b\u200b"])
def test_text_that_cannot_be_classified_is_a_clear_input_error(stub_classifier, bad):
    with pytest.raises(InputError, match="Expected a"):
        stub_classifier.classify(bad)


def test_classify_many_names_the_bad_row(stub_classifier):
    with pytest.raises(InputError, match=r"^Row 1: "):
        stub_classifier.classify_many(["人臉辨識打卡", ""])


def test_long_text_is_truncated_and_says_so(stub_classifier):
    p = stub_classifier.classify("人臉辨識門禁系統。" * 1000)
    assert p.truncated and len(p.normalised) == stub_classifier.config.max_chars


def test_full_width_and_half_width_give_the_same_prediction(stub_classifier):
    a = stub_classifier.classify("ＲＦＩＤ無人店結帳，ＡＩ影像辨識商品")
    b = stub_classifier.classify("RFID無人店結帳,AI影像辨識商品")
    assert a.code == b.code and a.verdict == b.verdict and a.scores == b.scores


def test_simplified_and_traditional_give_the_same_prediction(stub_classifier):
    a = stub_classifier.classify("我们的产品是基于人脸识别的员工打卡系统")
    b = stub_classifier.classify("我們的產品是基於人臉識別的員工打卡系統")
    assert a.scores == b.scores


def pin_top(monkeypatch, classifier, code):
    """Make the ranker put ``code`` first, so the rule steps are tested on their own."""
    ranker = classifier.ranker
    original = ranker.scores_from_similarities

    def pinned(sims):
        scores = original(sims)
        scores[:, list(ranker.classes_).index(code)] = scores.max() + 0.5
        return scores

    monkeypatch.setattr(ranker, "scores_from_similarities", pinned)


def test_rule_verdict_reaches_the_prediction(stub_classifier, monkeypatch):
    pin_top(monkeypatch, stub_classifier, "4.3.4")
    p = stub_classifier.classify("本公司製造並販售四軸無人機與零組件")
    assert p.code == "4.3.4" and p.verdict == "ineligible" and p.rule_ids == ("drone_no_ai",)
    assert p.follow_up and "人工智慧" in p.follow_up[0]
    assert p.rule_hits[0].faq == 4


def test_near_miss_keeps_the_verdict_eligible(stub_classifier, monkeypatch):
    pin_top(monkeypatch, stub_classifier, "4.8.1")
    p = stub_classifier.classify("不只是RFID，還用影像辨識商品")
    assert p.code == "4.8.1" and p.verdict == "eligible" and p.rule_ids == ()


def test_redirect_moves_kids_coding_to_3_1_1(stub_classifier, monkeypatch):
    pin_top(monkeypatch, stub_classifier, "4.12.1")
    p = stub_classifier.classify("國中生程式補習班，用市面教科書上Python課")
    assert p.code == "3.1.1" and "kids_coding_materials" in p.rule_ids
    assert "redirected_by_rule" in p.review_reasons
    assert p.suggestions[1].code == "4.12.1"


def test_redirect_to_category_4_picks_the_best_industry_item(stub_classifier, monkeypatch):
    pin_top(monkeypatch, stub_classifier, "1.1.2")
    p = stub_classifier.classify("我們開發醫療影像識別演算法，想申請1.1.2")
    assert p.code.startswith("4.") and p.rule_ids[0] == "domain_algorithm"


def test_conditional_verdict_asks_for_review(stub_classifier, monkeypatch):
    pin_top(monkeypatch, stub_classifier, "4.2.4")
    p = stub_classifier.classify("系統可以掃描發票並抓出上面的文字")
    assert p.verdict == "conditional" and p.needs_review and "conditional_verdict" in p.review_reasons


def test_explanations_carry_matched_terms(stub_classifier):
    p = stub_classifier.classify("智慧客服聊天機器人自動回覆顧客問題")
    assert p.best.matched_terms
    assert all(term in p.text for term in p.best.matched_terms)  # the user's own words


@pytest.mark.parametrize("text", ["我們導入ＡＩ客服機器人，自動回覆顧客問題", "我们导入智能客服软件，自动回复顾客问题",
                                  "Our chatbot platform answers customer questions and detects intent"])
def test_matched_terms_are_spans_of_the_original_text(stub_classifier, text):
    p = stub_classifier.classify(text)
    for suggestion in p.suggestions:
        assert all(term in text for term in suggestion.matched_terms), suggestion.matched_terms


def test_english_matches_are_whole_words(stub_classifier):
    text = "A cloud platform for defect detection with siri-style assistants"
    words = set(re.findall(r"[A-Za-z]+", text.lower()))
    for suggestion in stub_classifier.classify(text).suggestions:
        for term in suggestion.matched_terms:
            if term.isascii():
                assert all(part in words for part in re.findall(r"[a-z]+", term.lower())), term
