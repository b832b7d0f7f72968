"""Engine unit tests on a fixture taxonomy of four items and two rules: no real data, no real model."""

import numpy as np
import pytest

from classifier.engine.detectors import DetectorSpec, RulingDetectors, _choose_threshold, family_labels
from classifier.engine.embedding import HashingEncoder
from classifier.engine.head import ItemHead, blend
from classifier.engine.index import review_threshold
from classifier.engine.pipeline import Classifier
from classifier.records import Example
from classifier.settings import PROJECT_ROOT, Settings

MINI = PROJECT_ROOT / "tests" / "fixtures" / "mini"


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    settings = Settings(data_dir=MINI, models_dir=root / "models", cache_dir=root / "cache", model="hashing-256",
                        expected_items=None)
    clf = Classifier.build(settings, encoder=HashingEncoder(256))
    clf.save(settings)
    return settings, clf


def test_the_fixture_builds_four_items(mini):
    _, clf = mini
    assert list(clf.ranker.classes_) == ["1.2.3", "4.1.2", "4.8.1", "4.13.3"]
    assert len(clf.rules) == 2 and clf.detectors is None


def test_a_fixture_item_is_found_and_explained(mini):
    _, clf = mini
    p = clf.classify("門禁以臉部辨識確認訪客身分")
    assert p.code == "4.1.2"
    assert p.best.precedents and all(pr.code == "4.1.2" for pr in p.best.precedents)


def test_a_fixture_rule_fires_and_its_precedent_shows_its_verdict(mini):
    _, clf = mini
    p = clf.classify("只用RFID標籤感應商品的無人店，請問可以申請嗎")
    assert p.code == "4.8.1" and p.verdict == "ineligible" and p.rule_ids == ("rfid_only",)
    verdicts = {pr.ref: pr.verdict for pr in p.best.precedents}
    assert verdicts.get("mini-033") == "ineligible" and verdicts.get("17") == "ineligible"


def test_save_and_load_round_trip_on_the_fixture(mini):
    settings, clf = mini
    loaded = Classifier.load(settings, encoder=HashingEncoder(256))
    texts = ["自助結帳機用攝影機辨識便當", "推論叢集以TensorRT加速"]
    assert loaded.classify_many(texts) == clf.classify_many(texts)
    assert loaded.head_blend == clf.head_blend and loaded.review_confidence == clf.review_confidence


def test_contrast_reuses_the_scoring_of_classify(mini):
    _, clf = mini
    text = "眼底影像AI判讀視網膜病變"
    p = clf.classify(text)
    c = clf.contrast(text, p.code)
    assert c.rank == 1 and c.confidence == p.best.confidence


def test_head_columns_follow_the_given_classes():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    head = ItemHead(C=10.0).fit(X, ["b", "b", "a", "a"], classes=["a", "b", "c"])
    probs = head.predict_proba(np.array([[1.0, 0.0]]))
    assert probs.shape == (1, 3) and probs[0, 2] == 0.0 and probs[0, 1] > probs[0, 0]
    assert np.allclose(blend(np.array([[1.0, 0.0, 0.0]]), probs, 0.0), [[1.0, 0.0, 0.0]])


def test_family_labels_keep_positives_clean_negatives_and_leave_out_the_rest():
    spec = DetectorSpec("in_house", "adopter_in_house", 1, ("self_use", "adopter_in_house"), "", "", "", "")
    rows = [Example("a", "t", "4.1.2", "conditional", ("adopter_in_house",)),
            Example("b", "t", "4.1.2", "eligible", ()),
            Example("c", "t", "4.1.2", "conditional", ("overseas_only",))]
    assert family_labels(spec, rows).tolist() == [1, 0, -1]


def test_detectors_learn_a_separable_family_and_choose_a_threshold():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 0.3, (40, 8)), rng.normal(-1.0, 0.3, (60, 8))
    dense = np.vstack([pos, neg])
    rows = [Example(f"p{i}", "t", "4.1.2", "conditional", ("adopter_in_house",)) for i in range(40)] + \
           [Example(f"n{i}", "t", "4.1.2", "eligible", ()) for i in range(60)]
    spec = DetectorSpec("in_house", "adopter_in_house", 1, ("adopter_in_house",), "m", "m", "q", "q")
    detectors = RulingDetectors().fit(dense, rows, (spec,))
    probs = detectors.predict_proba(np.vstack([pos[:3], neg[:3]]))["in_house"]
    assert (probs[:3] > detectors.thresholds_["in_house"]).all() and (probs[3:] < 0.2).all()
    assert detectors.cv_["in_house"]["recall"] >= 0.9


def test_a_family_with_too_few_positives_gets_no_detector():
    dense = np.random.default_rng(1).normal(size=(30, 4))
    rows = [Example("p", "t", "4.1.2", "conditional", ("adopter_in_house",))] + \
           [Example(f"n{i}", "t", "4.1.2", "eligible", ()) for i in range(29)]
    spec = DetectorSpec("in_house", "adopter_in_house", 1, ("adopter_in_house",), "", "", "", "")
    assert RulingDetectors().fit(dense, rows, (spec,)).families_ == ()


def test_threshold_choice_prefers_the_best_f1():
    probs = np.array([0.9, 0.8, 0.7, 0.45, 0.4, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    threshold, stats = _choose_threshold(probs, y)
    assert 0.45 < threshold <= 0.7 and stats["precision"] == 1.0 and stats["recall"] == 1.0


def test_review_threshold_is_the_lowest_that_reaches_the_target():
    confidence = np.linspace(0.5, 0.99, 50)
    correct = (confidence > 0.8).astype(float)
    assert review_threshold(confidence, correct, 0.97, 0.6) == pytest.approx(0.81, abs=0.011)
    assert review_threshold(confidence, np.zeros(50), 0.97, 0.6) == 0.99


def test_a_writer_marked_family_positive_counts_for_that_family():
    spec = DetectorSpec("sensor_physics", "sensor_only", 17, ("rfid_only",), "", "", "", "")
    gps = Example("g", "GPS 追蹤器超出電子圍籬即告警", "4.4.1", "ineligible", ("no_ai_method", "family:sensor_physics"))
    other = Example("o", "t", "4.4.1", "ineligible", ("no_ai_method",))
    assert family_labels(spec, [gps, other]).tolist() == [1, -1]
