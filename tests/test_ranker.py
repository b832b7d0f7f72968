import numpy as np
import pytest
from sklearn.base import clone

from classifier.engine.ranker import ConfidenceCalibrator, NeighbourRanker
from classifier.errors import NotFittedError


def _unit(rows):
    rows = np.asarray(rows, dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


X = _unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]])
y = ["4.10.1", "4.10.1", "4.2.1", "4.2.1", "1.1.1"]


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError, match="call fit"):
        NeighbourRanker().decision_function(X)


def test_fit_returns_self_and_learns_sorted_string_classes():
    ranker = NeighbourRanker(per_class=2)
    assert ranker.fit(X, y) is ranker
    assert list(ranker.classes_) == ["1.1.1", "4.2.1", "4.10.1"]  # numeric order, not 4.10 < 4.2


def test_scores_line_up_with_classes():
    ranker = NeighbourRanker(per_class=1).fit(X, y)
    scores = ranker.decision_function(_unit([[1, 0, 0]]))
    assert scores.shape == (1, 3)
    assert ranker.classes_[scores.argmax()] == "4.10.1"
    assert ranker.predict(_unit([[0, 0, 1]]))[0] == "1.1.1"
    assert np.allclose(ranker.predict_proba(X).sum(axis=1), 1.0)


def test_ties_break_by_code():
    ranker = NeighbourRanker(per_class=1).fit(_unit([[1, 0], [1, 0]]), ["4.2.1", "1.1.1"])
    assert ranker.predict(_unit([[1, 0]]))[0] == "1.1.1"


def test_per_class_mean_uses_more_than_the_nearest():
    near_one = _unit([[1, 0], [0, 1], [0.8, 0.6], [0.8, 0.6]])
    labels = ["a.1.1", "a.1.1", "b.1.1", "b.1.1"]
    query = _unit([[1, 0]])
    assert NeighbourRanker(per_class=1).fit(near_one, labels).predict(query)[0] == "a.1.1"
    assert NeighbourRanker(per_class=2, decay=1.0).fit(near_one, labels).predict(query)[0] == "b.1.1"


def test_init_only_stores_parameters_and_clones():
    ranker = NeighbourRanker(per_class=3, decay=0.7, temperature=0.1)
    assert clone(ranker).get_params() == {"per_class": 3, "decay": 0.7, "temperature": 0.1}


def test_calibrator_is_monotone_and_bounded():
    cal = ConfidenceCalibrator().fit(np.array([0.1, 0.2, 0.5, 0.9, 0.95]), np.array([0, 0, 1, 1, 1]))
    out = cal.transform([0.0, 0.3, 0.99, 2.0])
    assert np.all(np.diff(out) >= 0) and out.min() >= 0 and out.max() <= 1
