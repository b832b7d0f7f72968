import pandas as pd
import pytest
from conftest import DATA

from classifier.cli import main
from classifier.files.tables import read_table
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
    out = reclassify_frame(stub_classifier, frame, crosswalk)
    summary = summarise(out)
    assert sum(summary.agreement.values()) == 4
    page = summary_html(summary, title="測試 <b>", versions=stub_classifier.versions,
                        categories=stub_classifier.taxonomy.categories)
    assert "<script" not in page and "&lt;b&gt;" in page and "<svg" in page and "http" not in page


def test_reclassify_cli_writes_output_and_summary(stub_classifier, stub_settings, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AIREG_MODELS_DIR", str(stub_settings.models_dir))
    stub_classifier.save(stub_settings)
    source = tmp_path / "registry.csv"
    REGISTRY.to_csv(source, index=False, encoding="cp950")
    code = main(["reclassify", str(source), str(tmp_path / "out.csv"), "--summary", str(tmp_path / "s.html")])
    assert code == 0
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert len(out) == 4 and "agreement" in out.columns and "review_priority" in out.columns
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
