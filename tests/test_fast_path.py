"""The fast path: a static first pass that answers what it is sure of, the full model for the rest,
and stored answers for texts seen before."""

import json
import sqlite3
from dataclasses import replace

import numpy as np
import pytest

from classifier.engine.cascade import NEVER, OutOfFold, accepts, choose_threshold
from classifier.engine.embedding import HashingEncoder
from classifier.engine.lexical import Tokenizer
from classifier.engine.pipeline import PENDING, Classifier
from classifier.engine.prediction_cache import PredictionCache
from classifier.engine.static_model import StaticEncoder, distill
from classifier.errors import ArtifactError
from classifier.records import Prediction, RuleHit

TEXTS = [
    "以人臉辨識進行員工打卡，並提供出勤報表",
    "以 AI 客服機器人回覆顧客問題，支援中英文",
    "利用機器學習預測設備故障，安排預防保養",
    "以影像辨識檢測產線瑕疵，取代人工目檢",
    "RFID 門禁與倉儲盤點系統",
    "人臉辨識門禁系統，導入多家企業",
]


def _oof(correct, confidence, real_style=None):
    n = len(correct)
    return OutOfFold(rows=np.arange(n), correct=np.asarray(correct, dtype=bool),
                     confidence=np.asarray(confidence, dtype=float),
                     real_style=np.zeros(n, dtype=bool) if real_style is None else np.asarray(real_style))


# ----------------------------------------------------------------- static encoder
def _distill(texts=TEXTS, tokenizer=None, folds=(), ridge=0.03):
    teacher = HashingEncoder(64)
    return distill(teacher, texts, tokenizer or Tokenizer(), teacher.encode(texts, "query"), folds, ridge=ridge)


def test_distilled_vectors_cover_the_corpus_words_and_every_character():
    static, _ = _distill(tokenizer=Tokenizer(["人臉辨識"]))
    assert "人臉辨識" in static.words  # seen twice
    assert "倉" in static.words  # a character, the fallback for unseen words
    assert static.vectors.shape == (len(static.words), 64)  # the teacher's own space
    vectors = static.encode(["人臉辨識打卡", "倉儲", "!!!"])
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # no known word: a zero vector, not an error
    # an unseen word is read through its characters
    assert static.ids("盤倉") == [static.words.index("盤"), static.words.index("倉")]


def test_fitting_brings_a_text_close_to_the_teachers_vector_of_it():
    teacher = HashingEncoder(64)
    targets = teacher.encode(TEXTS, "query")
    loose, _ = _distill(ridge=1e6)  # barely moved from the distilled words
    fitted, _ = _distill(ridge=1e-3)
    cosine = {name: (model.encode(TEXTS) * targets).sum(axis=1) for name, model in (("loose", loose), ("fitted", fitted))}
    assert (cosine["fitted"] > 0.95).all()
    assert cosine["fitted"].mean() > cosine["loose"].mean() + 0.1


def test_held_out_vectors_come_from_a_fit_that_never_saw_the_text():
    teacher = HashingEncoder(64)
    targets = teacher.encode(TEXTS, "query")
    folds = [np.array([0, 2, 4]), np.array([1, 3])]
    static, held_out = _distill(folds=folds, ridge=1e-3)
    in_sample = static.encode(TEXTS)
    assert held_out.shape == in_sample.shape
    assert np.allclose(held_out[5], in_sample[5], atol=1e-5)  # in no fold: the encoder's own vector
    for row in (0, 1, 2, 3, 4):
        assert held_out[row] @ targets[row] < in_sample[row] @ targets[row] - 0.05
    nothing, held = _distill(texts=[*TEXTS, "!!!"], folds=[np.array([1, 6])])
    assert not held[6].any() and not nothing.encode(["!!!"]).any()  # a text without known words stays zero
    with pytest.raises(ValueError, match="one teacher vector per text"):
        distill(teacher, TEXTS, Tokenizer(), targets[:3])


def test_the_static_model_hash_names_its_vectors():
    tokenizer = Tokenizer()
    static, _ = _distill(tokenizer=tokenizer)
    again, _ = _distill(tokenizer=tokenizer)
    assert static.sha256() == again.sha256()  # deterministic build
    damaged = StaticEncoder(static.words, static.vectors * 1.001, tokenizer, static.teacher)
    assert damaged.sha256() != static.sha256()


# ----------------------------------------------------------------- threshold and acceptance
def test_the_threshold_is_the_lowest_that_keeps_cv_top1_within_tolerance():
    confidence = np.linspace(0.2, 0.99, 100)
    full = _oof(np.ones(100), np.full(100, 0.9))
    # the first pass is right above 0.6 and wrong below: accepting below 0.6 costs accuracy
    first = _oof(confidence >= 0.6, confidence)
    chosen = choose_threshold(first, full, tolerance=0.0)
    assert 0.59 <= chosen <= 0.61
    assert choose_threshold(first, full, tolerance=0.05) < chosen  # a looser tolerance sends more to the first pass


def test_a_first_pass_that_is_never_right_never_answers():
    full = _oof(np.ones(60), np.full(60, 0.9))
    first = _oof(np.zeros(60), np.full(60, 0.99))
    assert choose_threshold(first, full, tolerance=0.005) == NEVER


def test_real_style_rows_are_judged_on_their_own():
    n = 200
    confidence = np.full(n, 0.95)
    real = np.arange(n) < 60
    first = _oof(~real, confidence, real)  # right on every team-style row, wrong on every real-style row
    full = _oof(np.ones(n), confidence, real)
    # 30% loss over all rows is within a 0.5 tolerance, 100% on the real-style rows is not
    assert choose_threshold(first, full, tolerance=0.5) > 0.95
    unmarked = _oof(~real, confidence)
    assert choose_threshold(unmarked, _oof(np.ones(n), confidence), tolerance=0.5) <= 0.95


def test_accepts_needs_confidence_no_close_runner_up_and_no_detector(stub_classifier):
    p = stub_classifier.classify("以人臉辨識進行員工打卡，並提供出勤報表")
    sure = replace(p, suggestions=(replace(p.best, confidence=0.95), *p.suggestions[1:]), review_reasons=(),
                   rule_hits=())
    assert accepts(sure, 0.9)
    assert not accepts(sure, 0.96)
    assert not accepts(replace(sure, review_reasons=("close_runner_up",)), 0.9)
    detector = RuleHit(rule_id="r", faq=1, effect="conditional", message_zh="m", message_en="m", trigger="某句")
    assert not accepts(replace(sure, rule_hits=(detector,)), 0.9)


# ----------------------------------------------------------------- the cascade in the classifier
def test_build_records_the_first_pass_and_its_threshold(stub_classifier):
    record = stub_classifier.manifest["first_pass"]
    assert stub_classifier.first_pass is not None
    assert record["sha256"] == stub_classifier.first_pass.features.encoder.sha256()
    assert 0.0 < record["threshold"] <= NEVER and record["words"] > 1000


def test_every_answer_says_which_path_gave_it(stub_classifier):
    clf = stub_classifier.with_encoder(stub_classifier.features.encoder)
    auto = clf.classify_many(TEXTS)
    full = clf.classify_many(TEXTS, path="full")
    first = clf.classify_many(TEXTS, path="first_pass")
    assert {p.answered_by for p in full} == {"full_model"}
    assert {p.answered_by for p in first} == {"first_pass"}
    real_style = clf.style.is_real_style(clf.first_pass.features.transform([p.normalised for p in first], "query"))
    for a, f, s, real in zip(auto, full, first, real_style):
        expected = s if accepts(s, clf.first_pass_threshold) and not real else f
        assert a == expected


def test_why_not_agrees_with_the_pass_that_answered(stub_classifier):
    clf = stub_classifier.with_encoder(stub_classifier.features.encoder)
    paths = set()
    for text in TEXTS:
        p = clf.classify(text)
        paths.add(p.answered_by)
        other = p.suggestions[1].code
        c = clf.contrast(text, other)
        assert c.rank >= 2 and c.score == pytest.approx(p.scores[other], abs=1e-4)
        full = clf.classify(text, path="full")
        assert clf.contrast(text, other, path="full").score == pytest.approx(full.scores[other], abs=1e-4)
    assert paths == {"first_pass", "full_model"}  # both kinds of answer were checked


def test_real_style_descriptions_go_to_the_full_model(stub_classifier):
    clf = stub_classifier
    assert clf.style is not None and clf.style.cv_["accuracy"] > 0.5
    news = ("據報導，某銀行去年導入由新創公司開發的智慧客服系統，用於內部員工查詢人事規章，"
            "該行資訊長表示上線後客服量下降三成。")
    vendor = "我們提供人臉辨識打卡系統"
    X = clf.first_pass.features.transform([news, vendor], "query")
    assert list(clf.style.is_real_style(X)) == [True, False]
    assert clf.classify(news).answered_by == "full_model"


def test_quick_mode_flags_what_the_default_path_would_hand_on(stub_classifier):
    clf = stub_classifier.with_encoder(stub_classifier.features.encoder)
    texts = TEXTS + ["據報導，某銀行去年導入由新創公司開發的智慧客服系統，用於內部員工查詢人事規章。"]
    auto = clf.classify_many(texts)
    first = clf.classify_many(texts, path="first_pass")
    quick = clf.quick().classify_many(texts)
    assert {p.answered_by for p in quick} == {"first_pass"}
    assert {p.answered_by for p in auto} == {"first_pass", "full_model"}  # both kinds of row were checked
    for q, a, f in zip(quick, auto, first):
        assert q.suggestions == f.suggestions and q.verdict == f.verdict
        if a.answered_by == "first_pass":
            assert q == a  # the rows it is sure of get the default path's very answer
        else:
            assert q.needs_review and q.review_reasons == (*f.review_reasons, PENDING)
    assert clf.quick().classify(texts[-1]).answered_by == "first_pass"  # one description: the same rule


def test_quick_mode_needs_a_first_pass(stub_classifier):
    with pytest.raises(ValueError, match="first pass"):
        stub_classifier.without_first_pass().quick()


def test_an_unknown_path_is_refused(stub_classifier):
    with pytest.raises(ValueError, match="path"):
        stub_classifier.classify("人臉辨識打卡", path="fastest")


# ----------------------------------------------------------------- stored answers
def test_a_prediction_survives_its_json_form(stub_classifier):
    p = stub_classifier.classify("人臉辨識門禁，若未通過則通知管理員")
    assert Prediction.from_dict(json.loads(json.dumps(p.to_dict(with_scores=True)))) == p


def test_a_rerun_is_answered_from_the_store_in_the_users_own_spelling(stub_classifier):
    clf = stub_classifier.with_encoder(stub_classifier.features.encoder)
    clf.cache = PredictionCache("test")
    first = clf.classify("以ＡＩ客服機器人回覆顧客問題")
    hits = clf.cache.hits
    again = clf.classify("以AI客服機器人回覆顧客問題")  # normalises alike
    assert clf.cache.hits == hits + 1
    assert again.code == first.code and again.text == "以AI客服機器人回覆顧客問題"
    assert all(term in again.text for s in again.suggestions for term in s.matched_terms)
    assert all(term in first.text for s in first.suggestions for term in s.matched_terms)


def test_stored_answers_outlive_the_process_and_survive_a_damaged_store(stub_settings, stub_classifier, tmp_path):
    store = tmp_path / "predictions.sqlite"
    clf = stub_classifier.with_encoder(stub_classifier.features.encoder)
    clf.cache = PredictionCache("index-a", store)
    before = clf.classify_many(TEXTS)
    later = stub_classifier.with_encoder(stub_classifier.features.encoder)
    later.cache = PredictionCache("index-a", store)
    assert later.classify_many(TEXTS) == before and later.cache.hits == len(TEXTS)
    other = stub_classifier.with_encoder(stub_classifier.features.encoder)
    other.cache = PredictionCache("index-b", store)  # another index never reuses these answers
    other.classify_many(TEXTS)
    assert other.cache.hits == 0
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE predictions SET value = 'not json'")
    broken = stub_classifier.with_encoder(stub_classifier.features.encoder)
    broken.cache = PredictionCache("index-a", store)
    assert broken.classify_many(TEXTS) == before  # classified again, nothing lost
    store.write_bytes(b"this is not a database")
    broken.cache = PredictionCache("index-a", store)
    assert broken.classify_many(TEXTS) == before


def test_a_damaged_first_pass_is_refused(stub_settings, stub_classifier):
    Classifier.load(stub_settings)  # the saved stub loads
    manifest_path = stub_settings.models_dir / "manifest.json"
    original = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(original)
    manifest["first_pass"]["sha256"] = "0" * 64
    try:
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(ArtifactError, match="first pass.*classifier build"):
            Classifier.load(stub_settings)
    finally:
        manifest_path.write_text(original, encoding="utf-8")


# ----------------------------------------------------------------- after the encoder
def test_linearised_detectors_give_sklearns_probabilities(stub_classifier):
    detectors = stub_classifier.detectors
    assert detectors is not None and detectors.families_
    dense = stub_classifier.features.encoder.encode(TEXTS, "query")
    fast = detectors.predict_proba(dense)
    assert detectors.__dict__.get("_linear") is not None  # the fast form is in use
    for family, model in detectors.models_.items():
        assert np.allclose(fast[family], model.predict_proba(dense)[:, 1], atol=1e-12)


def test_the_dense_block_product_equals_the_sparse_one(stub_classifier):
    from classifier.engine.ranker import _dot

    for clf in (stub_classifier, stub_classifier.first_pass):
        X = clf.features.transform(TEXTS, "query")
        assert clf.ranker.__dict__.get("_dense_index") is not None
        assert np.allclose(clf.ranker.similarities(X), _dot(X, clf.ranker.index_), atol=1e-12)


def test_reference_words_are_saved_with_the_index(stub_settings, stub_classifier):
    loaded = Classifier.load(stub_settings)
    assert len(loaded._segmented) == len({r.text for r in loaded.references})
    some = loaded.references[10].text
    assert loaded._segmented[some] == loaded._segment(some)
