import re
from datetime import date

import pandas as pd
import pytest
from conftest import DATA

from classifier.cli import main
from classifier.files.tables import read_table
from classifier.messages import t
from classifier.review.crosswalk import Crosswalk
from classifier.review.reclassify import agreement, reclassify_frame, review_priority, summarise, summary_html
from classifier.taxonomy.loaders import load_taxonomy


@pytest.fixture(scope="module")
def crosswalk():
    return Crosswalk.load(DATA / "crosswalk.csv", load_taxonomy(DATA / "taxonomy.csv"))


@pytest.mark.parametrize("cell, codes", [
    ("4.1.2", ("4.1.2",)),
    ("2.3.4 無人機應用", ("4.3.4",)),
    ("2.3.4", ("4.3.4",)),
    ("智能結帳/商品識別", ("4.8.1",)),
    ("人工智能輔助診斷/精準醫療", ("4.13.3",)),
    ("機器學習/深度學習工具與算法開發", ("1.1.2",)),
    ("4.1.2；4.10.1", ("4.1.2", "4.10.1")),
    ("４．１．２ 生物特徵識別應用", ("4.1.2",)),
    ("", ()),
])
def test_crosswalk_reads_old_and_misspelt_codes(crosswalk, cell, codes):
    assert crosswalk.resolve(cell).codes == codes


def test_unknown_registered_codes_are_kept_as_unresolved(crosswalk):
    resolved = crosswalk.resolve("9.9.9、不存在的項目")
    assert resolved.codes == () and resolved.unresolved == ("9.9.9", "不存在的項目")


def test_agreement_levels():
    assert agreement(("4.1.2",), "4.1.2") == "same_item"
    assert agreement(("4.1.3",), "4.1.2") == "same_subcategory"
    assert agreement(("4.6.1",), "4.1.2") == "different"
    assert agreement((), "4.1.2") == "no_registered_code"


def test_priority_puts_disagreement_and_doubt_first():
    sure_same = review_priority(0.99, False, "eligible", "same_item", False)
    sure_different = review_priority(0.99, False, "eligible", "different", False)
    unsure_same = review_priority(0.4, True, "eligible", "same_item", False)
    assert sure_different > sure_same and unsure_same > sure_same
    assert review_priority(0.0, True, "", "different", True) == 1.0


REGISTRY = pd.DataFrame({
    "applicant": ["甲公司", "乙公司", "丙公司", "丁公司"],
    "description": ["以人臉辨識進行員工打卡與門禁", "以深度學習檢測PCB瑕疵", "", "無人機搭載AI影像辨識巡檢橋梁"],
    "registered_code": ["4.1.2", "4.10.1", "4.2.7", "2.3.4 無人機應用"],
})


def test_reclassify_big5_registry_keeps_rows_and_records_versions(stub_classifier, crosswalk, tmp_path):
    frame = read_table(REGISTRY.to_csv(index=False).encode("cp950"), "registry.csv")
    out = reclassify_frame(stub_classifier, frame, crosswalk)
    assert out["applicant"].tolist() == ["甲公司", "乙公司", "丙公司", "丁公司"]
    assert out.loc[3, "registered_resolved"] == "4.3.4"
    assert out.loc[2, "error"] and out.loc[2, "review_priority"] == 1.0
    assert set(out["agreement"]) <= {"same_item", "same_subcategory", "different", "no_registered_code"}
    assert out["taxonomy_version"].iloc[0] == "111.1" and out["model_version"].iloc[0].startswith("hashing-512")


def test_summary_page_is_standalone_and_escaped(stub_classifier, crosswalk):
    frame = REGISTRY.copy()
    frame.loc[0, "registered_code"] = "<script>alert(1)</script>"
    frame.loc[1, "applicant"] = "<b>乙</b>"
    out = reclassify_frame(stub_classifier, frame, crosswalk)
    summary = summarise(out, applicant_column="applicant")
    assert sum(summary.agreement.values()) == 4
    page = summary_html(summary, source_name="登錄 <b>.csv", versions=stub_classifier.versions,
                        taxonomy=stub_classifier.taxonomy, made_on=date(2026, 12, 2))
    assert "<script" not in page and "&lt;b&gt;" in page and "<svg" in page and "http" not in page
    assert "2026-12-02" in page and stub_classifier.versions["taxonomy_version"] in page


def test_summary_names_items_and_applicants_and_lists_rows_to_review_first(stub_classifier, crosswalk):
    out = reclassify_frame(stub_classifier, REGISTRY, crosswalk)
    summary = summarise(out, applicant_column="applicant")
    flagged = out[out["needs_review"].astype(bool)]
    assert len(summary.first) == len(flagged) >= 1  # the empty row at least
    assert list(summary.first["priority"]) == sorted(summary.first["priority"], reverse=True)
    page = summary_html(summary, source_name="r.csv", versions=stub_classifier.versions,
                        taxonomy=stub_classifier.taxonomy)
    assert "丙公司" in page  # the applicant of the failed row, which comes first
    taxonomy = stub_classifier.taxonomy
    for codes in flagged["registered_resolved"]:  # registered items are named, not bare codes
        assert all(f"{c} {taxonomy[c].name}" in page for c in filter(None, codes.split(";")))
    assert t("summary_first", n=len(summary.first)) in page


def test_a_reseller_registered_under_a_core_item_gets_faq_3_and_review(stub_classifier, crosswalk):
    frame = pd.DataFrame({"applicant": ["戊公司"], "description": [
        "本公司為國外深度學習訓練框架的台灣總代理，負責代理銷售與教育訓練，並協助客戶安裝。"],
        "registered_code": ["1.1.2"]})
    row = reclassify_frame(stub_classifier, frame, crosswalk).iloc[0]
    assert "reseller_core" in row["registered_rule_ids"] and row["registered_rule_ids"].startswith("1.1.2:")
    assert "問答集第 3 則" in row["registered_rulings"]
    assert bool(row["needs_review"]) and "registered_ruling" in row["review_reasons"]
    assert t("review_registered_ruling") in row["review_why"]


def test_a_row_registered_in_another_subcategory_needs_review(stub_classifier, crosswalk):
    frame = pd.DataFrame({"description": ["以人臉辨識進行員工打卡與門禁管制"], "registered_code": ["1.1.1"]})
    row = reclassify_frame(stub_classifier, frame, crosswalk).iloc[0]
    assert row["agreement"] == "different" and row["agreement_zh"] == t("agreement_different")
    assert bool(row["needs_review"]) and "registered_differs" in row["review_reasons"].split(";")
    assert row["registered_names"] == "1.1.1 " + stub_classifier.taxonomy["1.1.1"].name


def test_readable_columns_are_sentences_not_ids(stub_classifier, crosswalk):
    out = reclassify_frame(stub_classifier, REGISTRY, crosswalk)
    ok = out[out["error"] == ""]
    assert set(ok["verdict_zh"]) <= {"符合", "有條件", "不符合"}
    for reasons in ok["reasons"]:
        assert reasons and not re.search(r"\b[a-z]+\d*-\d{2,}\b", reasons), reasons
        assert "相近" in reasons


def test_reclassify_cli_writes_output_and_summary(stub_classifier, stub_settings, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    stub_classifier.save(stub_settings)
    source = tmp_path / "registry.csv"
    REGISTRY.to_csv(source, index=False, encoding="cp950")
    code = main(["reclassify", str(source), str(tmp_path / "out.csv"), "--summary", str(tmp_path / "s.html")])
    assert code == 0
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(out) == 4 and "agreement" in out.columns and "review_priority" in out.columns
    err = capsys.readouterr().err
    assert "說明文字「description」、登錄代碼「registered_code」" in err and "{" not in err
    assert (tmp_path / "s.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_reclassify_without_a_code_column_lists_the_columns(stub_classifier, crosswalk):
    from classifier.errors import InputError

    with pytest.raises(InputError, match="found columns \\['description'\\]"):
        reclassify_frame(stub_classifier, REGISTRY[["description"]], crosswalk)


def test_several_services_are_found(stub_classifier, monkeypatch):
    text = "我們開發邊緣AI晶片的硬體加速指令集。另外，我們為市政府建置路口車流號誌的智慧交通調控系統"
    p = stub_classifier.classify(text)
    services = stub_classifier.services(text, p, min_confidence=0.0)
    assert len(services) >= 1  # two sentences, two services: an empty answer is a failure
    assert all(s.suggestion.code != p.code for s in services)
    assert len({s.suggestion.code for s in services}) == len(services)
    assert all(s.passage in text for s in services)
    assert stub_classifier.services("只有一句話的人臉辨識打卡", min_confidence=0.0) == ()
