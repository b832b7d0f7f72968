"""The nearest-neighbour ranker: class scores from the most similar reference texts."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted as _sk_check_is_fitted

from classifier.errors import NotFittedError
from classifier.taxonomy.loaders import code_key


def check_is_fitted(estimator) -> None:
    try:
        _sk_check_is_fitted(estimator)
    except Exception as exc:  # sklearn raises its own NotFittedError
        raise NotFittedError(
            f"{type(estimator).__name__} is not fitted yet; call fit(X, y) first "
            "(for the classifier: run `python -m classifier build`)."
        ) from exc


def _dot(a, b) -> np.ndarray:
    out = a @ b.T
    return out.toarray() if sparse.issparse(out) else np.asarray(out)


class NeighbourRanker(ClassifierMixin, BaseEstimator):
    """Rank classes by their nearest reference vectors.

    The rows of ``X`` are L2-normalised feature vectors (dense embeddings, sparse TF-IDF, or a
    weighted concatenation of both), so a dot product is a (hybrid) cosine similarity.

    Parameters
    ----------
    per_class : int, default=2
        How many of a class's most similar references make up its score.
    decay : float, default=0.5
        Weight of the i-th most similar reference of a class is ``decay ** i``.
    temperature : float, default=0.05
        Softmax temperature that turns class scores into probabilities.

    Attributes
    ----------
    classes_ : ndarray of str
        The class labels (sub-item codes), sorted so ties break by code.
    index_ : ndarray or sparse matrix of shape (n_references, n_features)
        The fitted reference vectors.
    labels_ : ndarray of int
        Class index of each reference.
    """

    def __init__(self, per_class: int = 2, decay: float = 0.5, temperature: float = 0.05):
        self.per_class = per_class
        self.decay = decay
        self.temperature = temperature

    def fit(self, X, y):
        """Store the references. ``y`` holds each reference's code (a string)."""
        y = np.asarray([str(v) for v in y], dtype=object)
        if X.shape[0] != len(y) or len(y) == 0:
            raise ValueError(f"Expected X and y with the same, non-zero number of rows; found {X.shape[0]} and {len(y)}.")
        self.classes_ = np.array(sorted(set(y), key=code_key), dtype=object)
        position = {c: i for i, c in enumerate(self.classes_)}
        self.labels_ = np.array([position[v] for v in y], dtype=np.int64)
        self.index_ = X
        counts = np.bincount(self.labels_, minlength=len(self.classes_))
        width = int(counts.max())
        slots = np.full((len(self.classes_), width), -1, dtype=np.int64)
        fill = np.zeros(len(self.classes_), dtype=np.int64)
        for ref, label in enumerate(self.labels_):
            slots[label, fill[label]] = ref
            fill[label] += 1
        self.slots_ = slots
        return self

    def split_dense(self, columns: int) -> NeighbourRanker:
        """Say that the first ``columns`` features are dense (embeddings in a sparse hybrid matrix):
        their products then run as one dense matrix product, several times faster than sparse."""
        check_is_fitted(self)
        if sparse.issparse(self.index_) and 0 < columns < self.index_.shape[1]:
            self._dense_index = np.ascontiguousarray(self.index_[:, :columns].toarray())
            self._sparse_index = self.index_[:, columns:].tocsr()
        return self

    def similarities(self, X) -> np.ndarray:
        """Similarity of each query row to every reference, shape (n_queries, n_references)."""
        check_is_fitted(self)
        dense = self.__dict__.get("_dense_index")
        if dense is None or not sparse.issparse(X):
            return _dot(X, self.index_)
        columns = dense.shape[1]
        X = X.tocsr()
        return X[:, :columns].toarray() @ dense.T + _dot(X[:, columns:], self._sparse_index)

    def scores_from_similarities(self, sims: np.ndarray) -> np.ndarray:
        gathered = np.where(self.slots_ >= 0, sims[:, np.maximum(self.slots_, 0)], -np.inf)
        k = min(self.per_class, gathered.shape[2])
        top = -np.sort(-gathered, axis=2)[:, :, :k]
        weights = self.decay ** np.arange(k)
        valid = np.isfinite(top)
        top = np.where(valid, top, 0.0)
        return (top * weights).sum(axis=2) / (valid * weights).sum(axis=2).clip(min=1e-9)

    def decision_function(self, X) -> np.ndarray:
        """Class scores, shape (n_queries, n_classes), columns aligned with ``classes_``."""
        return self.scores_from_similarities(self.similarities(X))

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.decision_function(X), self.temperature)

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        # argmax takes the first maximum, and classes_ are sorted by code: ties break by code.
        return self.classes_[np.argmax(scores, axis=1)]


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ConfidenceCalibrator(BaseEstimator):
    """Isotonic map from the raw top-1 probability to the observed rate of being right.

    Bounded to [0.01, 0.99]: a few hundred cross-validated predictions cannot show certainty.
    """

    def fit(self, raw: np.ndarray, correct: np.ndarray) -> ConfidenceCalibrator:
        self.isotonic_ = IsotonicRegression(y_min=0.01, y_max=0.99, out_of_bounds="clip", increasing=True)
        self.isotonic_.fit(np.asarray(raw, dtype=float), np.asarray(correct, dtype=float))
        return self

    def transform(self, raw) -> np.ndarray:
        check_is_fitted(self)
        return self.isotonic_.predict(np.atleast_1d(np.asarray(raw, dtype=float)))
