"""The discriminative head: a logistic regression over the dense features that scores items.

The nearest-neighbour ranker stays for precedents and explanations; the head learns which parts
of the embedding separate neighbouring items, which carries better to long third-person text.
The two are blended, ``(1 - blend) · ranker + blend · head``, with both chosen by
cross-validation over the training rows (see ``index.cross_validate``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from classifier.engine.ranker import check_is_fitted


class ItemHead(BaseEstimator):
    """Multinomial logistic regression whose probability columns line up with given classes.

    Parameters
    ----------
    C : float, default=4.0
        Inverse regularisation strength.

    Attributes
    ----------
    classes_ : ndarray of str
        The codes, in the order given to ``fit`` (the ranker's order).
    model_ : LogisticRegression
    """

    def __init__(self, C: float = 4.0):
        self.C = C

    def fit(self, X: np.ndarray, y, classes) -> ItemHead:
        self.classes_ = np.asarray(classes, dtype=object)
        self.model_ = LogisticRegression(C=self.C, max_iter=3000).fit(X, np.asarray(y, dtype=object))
        known = {c: i for i, c in enumerate(self.model_.classes_)}
        self.columns_ = np.array([known.get(c, -1) for c in self.classes_])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities of shape (n, len(classes_)); a class never seen in training gets 0."""
        check_is_fitted(self)
        raw = self.model_.predict_proba(X)
        out = np.zeros((raw.shape[0], len(self.classes_)))
        seen = self.columns_ >= 0
        out[:, seen] = raw[:, self.columns_[seen]]
        return out


def blend(ranker_probs: np.ndarray, head_probs: np.ndarray | None, weight: float) -> np.ndarray:
    if head_probs is None or weight <= 0:
        return ranker_probs
    return (1.0 - weight) * ranker_probs + weight * head_probs
