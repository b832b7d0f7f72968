from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.engine.normalise import normalise


def test_full_width_folds_to_half_width():
    assert normalise("ＲＦＩＤ　無人店　ＡＩ") == normalise("RFID 無人店 AI") == "rfid 無人店 ai"


def test_simplified_becomes_taiwan_traditional():
    assert normalise("人脸识别打卡系统") == normalise("人臉識別打卡系統")
    assert normalise("智能客服软件") == "智慧客服軟體"


def test_whitespace_and_control_characters_collapse():
    assert normalise("  人臉\t辨識\n\n打卡\u200b系統\x00 ") == "人臉 辨識 打卡 系統"


def test_cjk_punctuation_becomes_ascii():
    assert normalise("不只是RFID，還用影像辨識？") == "不只是rfid,還用影像辨識?"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


def test_traditional_input_is_not_rewritten_by_the_phrase_table():
    # Regression: s2twp turned the user's 「導入」 (deploy) into 「匯入」 (import data).
    assert normalise("本公司導入AI客服與數據分析") == "本公司導入ai客服與數據分析"


def test_simplified_input_still_becomes_taiwan_traditional():
    assert normalise("我们的软件导入数据") == "我們的軟體匯入資料"


def test_original_spans_give_back_the_users_own_spelling():
    from classifier.engine.explain import original_spans

    assert original_spans("我們導入ＡＩ客服機器人", ("ai客服",)) == ("ＡＩ客服",)
    assert original_spans("我們導入ＡＩ客服機器人", ("ai客服", "導入")) == ("導入ＡＩ客服",)  # touching terms join
    assert original_spans("以深度學習偵測 PCB 瑕疵", ("瑕疵", "pcb", "深度", "學習")) == ("深度學習", "PCB 瑕疵")
    assert original_spans("我们开发的软件提供智能客服", ("軟體", "智慧客服")) == ("软件", "智能客服")
    assert original_spans("人臉辨識打卡", ("車牌辨識",)) == ()  # never words the user did not write


def test_latin_terms_match_whole_words_only():
    from classifier.engine.explain import contains_term
    from classifier.engine.lexical import Tokenizer

    assert contains_term("defect detection on pcb", "detection") and not contains_term("defect detection", "ct")
    assert contains_term("以ai客服回覆", "ai客服") and contains_term("gpu雲端", "gpu")
    assert not contains_term("siri assistant", "si")
    words = Tokenizer(["ct", "si", "ai客服"]).words("defect detection with siri, ct scans")
    assert {"defect", "detection", "siri", "ct", "scans"} <= set(words) and "dete" not in words
