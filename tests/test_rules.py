import json

import pytest
from conftest import DATA

from classifier.engine.normalise import normalise
from classifier.engine.rules import RuleSet, claimed_codes, verdict_of
from classifier.errors import DataFileError
from classifier.taxonomy.loaders import load_taxonomy


@pytest.fixture(scope="module")
def rules():
    return RuleSet.load(DATA / "rules.jsonl", set(load_taxonomy(DATA / "taxonomy.csv").codes))


def fired(rules, code, text):
    norm = normalise(text)
    return {h.rule_id for h in rules.evaluate(norm, code)} | {h.rule_id for h in rules.redirects(norm, (code,))}


CASES = [
    # (rule id, suggested code, text, should fire)
    ("self_use", "4.9.1", "我們是影音平台，用AI提升自家串流畫質，目前僅供內部使用", True),
    ("self_use", "4.9.1", "影音畫質增強模型除了內部使用，也以SaaS對外收費授權給其他平台", False),
    ("self_use", "1.2.2", "演算法皆為自家研發團隊開發並取得專利，授權給設備商", False),
    ("self_use", "4.2.7", "客服機器人屬內部工具，尚無外部客戶導入，亦未向第三方收費", True),
    ("self_use", "4.6.1", "瑕疵檢測系統原為內部使用，現已有五家客戶導入", False),
    ("overseas_only", "4.2.7", "我們是日本語音客服公司的台灣分公司，實績都是母公司在日本完成的，台灣尚無客戶", True),
    ("overseas_only", "4.6.2", "德國總公司的技術，台灣團隊已為台中三家工具機廠完成導入", False),
    ("reseller_core", "1.2.1", "我們是國外AI語音平台的台灣總代理，負責銷售授權，想申請1.2.1", True),
    ("reseller_core", "4.8.1", "我們代理國外影像辨識引擎，為連鎖超市客製化導入商品辨識結帳", False),
    ("reseller_core", "1.1.2", "我們的AI代理人平台讓企業自行串接多代理工作流程", False),
    ("drone_no_ai", "4.3.4", "本公司製造並販售四軸無人機與零組件", True),
    ("drone_no_ai", "4.3.4", "無人機燈光秀，航線全部預先編排好", True),
    ("drone_no_ai", "4.3.4", "無人機搭載AI影像辨識，自動偵測橋梁裂縫", False),
    ("drone_no_ai", "4.3.4", "無人機以固定航線拍攝輸電線路，影像交由巡線人員目視判讀", True),
    ("ocr_detail", "4.2.4", "系統可以掃描發票並抓出上面的文字", True),
    ("ocr_detail", "4.2.4", "以自行訓練的CRNN深度學習模型辨識手寫保單，欄位辨識率98%", False),
    ("api_vs_library", "1.2.2", "我們把開源的人臉辨識模型封裝成離線SDK交給客戶", True),
    ("api_vs_library", "1.2.2", "離線車牌辨識函式庫，演算法為本公司自行研發並取得專利", False),
    ("hosting_no_acceleration", "1.2.3", "我們提供主機代管與GPU伺服器出租服務", True),
    ("hosting_no_acceleration", "1.2.3", "GPU雲端服務以TensorRT與量化加速模型推論，延遲降低六成", False),
    ("infrared_only", "4.1.3", "我們的產品是紅外線測溫門柱，量到發燒就亮紅燈", True),
    ("infrared_only", "4.1.3", "紅外線測溫結合口罩偵測與人臉辨識的門禁機", False),
    ("kids_coding_materials", "4.12.1", "我們是國中生的程式補習班，用市面上的教科書教Python", True),
    ("kids_coding_materials", "4.12.1", "我們針對國小學童的理解程度自編Scratch闖關教材", False),
    ("hardcoded_robot", "2.2.2", "會做珍珠奶茶的機械手臂，所有動作都是寫死的流程", True),
    ("hardcoded_robot", "2.2.2", "咖啡機械手臂以視覺辨識杯子位置並用強化學習調整倒奶動作", False),
    ("rfid_only", "4.8.1", "我們的無人店完全基於RFID標籤結帳", True),
    ("rfid_only", "4.8.1", "不只是RFID，還用影像辨識商品", False),
    ("rfid_only", "4.8.1", "自助結帳機，掃描商品條碼後以行動支付付款", True),
    ("rfid_only", "4.8.1", "蔬果不用貼條碼，放上秤就自動結帳", False),
    ("rfid_only", "4.8.1", "以影像辨識取代RFID標籤", False),
    ("rfid_only", "1.2.2", "讀取條碼與 OCR 文字辨識的離線程式庫", False),
    ("ocr_detail", "4.2.4", "Our app scans paper receipts and pulls out the text.", True),
    ("hosting_no_acceleration", "1.2.3", "按小时出租GPU云主机，支持弹性计费", True),
    ("kids_coding_materials", "4.12.1", "少儿编程课，教材按低年级识字量重新设计", False),
    ("crawler_wordfreq", "4.2.10", "輿情系統用爬蟲抓論壇文章，中文分詞後統計詞頻做文字雲", True),
    ("crawler_wordfreq", "4.2.10", "爬蟲資料經斷詞後，以自行訓練的情緒分析模型判斷負評", False),
    ("domain_algorithm", "1.1.2", "我們開發醫療影像識別演算法，想申請1.1.2", True),
    ("domain_algorithm", "1.1.2", "通用的深度學習訓練框架，客戶橫跨製造、金融與零售", False),
    ("medical_approval", "4.13.3", "AI判讀胸部X光的輔助診斷軟體，TFDA認證尚在申請中", True),
    ("medical_approval", "4.13.3", "AI判讀胸部X光的輔助診斷軟體，已取得TFDA醫療器材許可證", False),
    ("wearable_certification", "4.13.5", "用手機鏡頭非接觸量測心跳的App，想申請醫療穿戴式設備", True),
    ("wearable_certification", "4.13.5", "已取得TFDA醫療器材許可證的心電圖貼片，以AI偵測心律不整", False),
    ("medical_approval", "4.13.5", "智慧床墊以AI分析睡眠呼吸，未經醫療器材認證", False),
    ("wearable_certification", "4.13.5", "智慧床墊以AI分析睡眠呼吸，未經醫療器材認證", True),
    ("wearable_certification_unknown", "4.13.5", "智慧手環以AI分析心率變異，預警心房顫動", True),
    ("wearable_certification_unknown", "4.13.5", "通過FDA 510(k)的穿戴式血氧裝置，以AI預警睡眠呼吸中止", False),
    ("medical_approval_unstated", "4.13.3", "醫院採用的AI眼底影像判讀系統，可篩檢糖尿病視網膜病變", True),
    ("medical_approval_unstated", "4.13.3", "AI眼底影像判讀系統，已取得TFDA醫療器材許可證", False),
    ("medical_approval_unstated", "4.13.3", "AI判讀胸部X光的輔助診斷軟體，TFDA認證尚在申請中", False),  # medical_approval speaks
    ("unclear_ai_method", "4.2.1", "我們做AI", True),
    ("unclear_ai_method", "4.2.1", "為零售業者建置AI需求預測", False),
]


@pytest.mark.parametrize("rule_id, code, text, should_fire", CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_rule_fires_only_where_it_should(rules, rule_id, code, text, should_fire):
    assert (rule_id in fired(rules, code, text)) is should_fire


def test_every_rule_has_a_firing_case_and_a_near_miss(rules):
    covered = {(c[0], c[3]) for c in CASES}
    for rule in rules.rules:
        assert (rule.id, True) in covered and (rule.id, False) in covered, rule.id


def test_every_rule_cites_an_faq_and_speaks_traditional_chinese(rules):
    for rule in rules.rules:
        assert 1 <= rule.faq <= 23
        assert rule.message_zh and normalise(rule.message_zh) == normalise(normalise(rule.message_zh))


def test_code_scoped_rule_does_not_fire_for_other_codes(rules):
    assert "ocr_detail" not in fired(rules, "4.10.1", "系統可以掃描保單並抓出上面的文字")


def test_unless_rules_let_the_explicit_ruling_win(rules):
    ids = fired(rules, "4.13.5", "用鏡頭非接觸量測心跳")
    assert "wearable_certification" in ids and "wearable_certification_unknown" not in ids


def test_verdict_takes_the_most_severe_hit(rules):
    hits = rules.evaluate(normalise("我們的無人店完全基於RFID標籤結帳，目前僅供內部使用"), "4.8.1")
    assert {h.rule_id for h in hits} == {"self_use", "rfid_only"}
    assert verdict_of(hits) == "ineligible"
    assert verdict_of([]) == "eligible"


def test_claimed_codes_are_read_from_the_text():
    known = {"4.8.1", "1.2.1"}
    assert claimed_codes(normalise("請問可以申請「4.8.1 智能結帳」嗎？不是1.2.1"), known) == ("4.8.1", "1.2.1")
    assert claimed_codes("成長 14.8.10 倍", known) == ()


def _rule_file(tmp_path, **overrides):
    data = {"id": "x", "faq": 1, "effect": "ineligible", "message_zh": "訊息", "message_en": "message",
            "any_terms": ["a"]}
    data.update(overrides)
    path = tmp_path / "rules.jsonl"
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_unknown_effect_is_rejected_with_the_allowed_values(tmp_path):
    with pytest.raises(DataFileError) as err:
        RuleSet.load(_rule_file(tmp_path, effect="maybe"))
    assert str(err.value) == (
        "rules.jsonl line 1: expected effect in ['ineligible', 'conditional', 'redirect', 'note']; found 'maybe'."
    )


def test_unknown_field_and_bad_redirect_are_rejected(tmp_path):
    with pytest.raises(DataFileError, match="unknown fields \\['colour'\\]"):
        RuleSet.load(_rule_file(tmp_path, colour="red"))
    with pytest.raises(DataFileError, match="redirect_to '9.9.9' is not a code"):
        RuleSet.load(_rule_file(tmp_path, effect="redirect", redirect_to="9.9.9"), {"1.1.1"})
