"""Only approved, reviewed decisions change predictions, and only after an explicit rebuild."""

import shutil

import pytest
from conftest import DATA, copy_data, quick_config

from classifier.engine.embedding import HashingEncoder
from classifier.engine.pipeline import Classifier
from classifier.review.decisions import DecisionStore
from classifier.review.learning import approved_examples
from classifier.settings import Settings

PROBES = ["以人臉辨識進行員工打卡", "以AI預測設備故障", "RFID 無人店結帳", "智慧客服聊天機器人回覆顧客"]
CORRECTED = "泡麵工廠以攝影機偵測封口不良並剔除"


@pytest.fixture(scope="module")
def team_settings(tmp_path_factory):
    """The team-style data alone: the decision layer does not depend on the real-style rows or the
    ruling detectors, and leaving them out keeps five rebuilds quick."""
    root = tmp_path_factory.mktemp("team")
    data = copy_data(root / "data")
    for name in ("ruling_examples.csv", "detectors.jsonl", "real"):
        target = data / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return Settings(data_dir=data, models_dir=root / "models", cache_dir=root / "cache", model="hashing-512")


def _build(settings, store_path):
    examples, provenance = approved_examples(store_path)
    return Classifier.build(settings, encoder=HashingEncoder(512), extra_examples=examples, provenance=provenance,
                            config=quick_config(settings.data_dir))


def test_unreviewed_or_rejected_input_never_changes_predictions(team_settings, tmp_path):
    store_path = tmp_path / "decisions.sqlite"
    baseline = _build(team_settings, store_path)
    before = baseline.classify_many(PROBES + [CORRECTED])
    store = DecisionStore(store_path)
    for text in PROBES:  # batch output alone is never a decision; a rejection teaches nothing
        store.record(text=text, reviewer="審查員", suggested_code="4.1.2", suggested_verdict="eligible",
                     action="reject", reason="建議不正確")
    rebuilt = _build(team_settings, store_path)
    assert rebuilt.classify_many(PROBES + [CORRECTED]) == before
    assert len(rebuilt.references) == len(baseline.references)


def test_approved_corrections_teach_on_rebuild(team_settings, tmp_path):
    store_path = tmp_path / "decisions.sqlite"
    store = DecisionStore(store_path)
    first = _build(team_settings, store_path).classify(CORRECTED)
    target = "4.6.1" if first.code != "4.6.1" else "4.6.2"
    for i in range(3):
        store.record(text=CORRECTED + "。" * i, reviewer="審查員", suggested_code=first.code,
                     suggested_verdict="eligible", final_code=target, final_verdict="eligible", reason="產線瑕疵")
    examples, provenance = approved_examples(store_path)
    assert len(examples) == 3 and provenance["count"] == 3 and provenance["fingerprint"]
    after = _build(team_settings, store_path)
    assert after.classify(CORRECTED).code == target
    assert after.manifest["decisions"]["count"] == 3
    corrected = after.classify(CORRECTED)
    assert corrected.best.precedents[0].source == "decision" and not corrected.needs_review
    baseline = _build(team_settings, tmp_path / "none.sqlite")
    assert after.classify_many(PROBES) == baseline.classify_many(PROBES)  # nothing else changes
    assert len(after.references) == len(baseline.references)


def test_reviewed_layer_survives_save_and_load(team_settings, tmp_path):
    from dataclasses import replace

    settings = replace(team_settings, models_dir=tmp_path / "models")
    store_path = tmp_path / "decisions.sqlite"
    DecisionStore(store_path).record(text=CORRECTED, reviewer="審查員", suggested_code="4.1.2",
                                     suggested_verdict="eligible", final_code="4.6.1", final_verdict="conditional",
                                     reason="需補充技術細節")
    _build(settings, store_path).save(settings)
    loaded = Classifier.load(settings)
    p = loaded.classify(CORRECTED)
    assert (p.code, p.verdict) == ("4.6.1", "conditional")
    assert loaded.manifest["decisions"]["count"] == 1


def test_no_store_means_no_extra_examples(tmp_path):
    examples, provenance = approved_examples(tmp_path / "missing.sqlite")
    assert examples == [] and provenance["count"] == 0
    assert (DATA / "examples.csv").is_file()
