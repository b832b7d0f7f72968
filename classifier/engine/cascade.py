"""When the first pass may answer alone, and how sure it must be (chosen by cross-validation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier.records import Prediction

NEVER = 1.01  # a threshold no confidence reaches: every row goes to the full model
# Review reasons that say the first pass is torn between items or near a ruling detector's threshold.
_UNSURE = frozenset({"close_runner_up", "ruling_uncertain"})


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validated top-1 answers for the training rows, as build saw them."""

    rows: np.ndarray  # reference positions
    correct: np.ndarray  # top-1 right
    confidence: np.ndarray  # calibrated top-1 confidence
    real_style: np.ndarray  # written in the styles users bring


def choose_threshold(first: OutOfFold, full: OutOfFold, tolerance: float) -> float:
    """The lowest first-pass confidence above which letting the first pass answer costs at most
    ``tolerance`` of out-of-fold top-1 against the full model alone, on all rows and on the
    real-style rows; scanned from the top, so a lucky dip lower down is not taken."""
    if not np.array_equal(first.rows, full.rows):
        raise ValueError("Expected both passes cross-validated on the same rows; found different rows.")
    groups = [np.ones(len(first.rows), dtype=bool)]
    if first.real_style.sum() >= 50:
        groups.append(first.real_style)
    chosen = NEVER
    for threshold in np.round(np.arange(0.99, 0.195, -0.01), 2):
        answered = np.where(first.confidence >= threshold, first.correct, full.correct)
        if any(full.correct[g].mean() - answered[g].mean() > tolerance for g in groups):
            break
        chosen = float(threshold)
    return chosen


def accepts(prediction: Prediction, threshold: float) -> bool:
    """The first pass's answer stands when it is confident, not torn between two items, and no
    learned ruling detector fired or came near firing (the full model's detectors judge those)."""
    if prediction.best.confidence < threshold:
        return False
    if _UNSURE & set(prediction.review_reasons):
        return False
    return not any(hit.trigger for hit in prediction.rule_hits)


class StyleRouter:
    """Is a description written like the real-world texts (news, case studies, third person, several
    organisations) rather than like a vendor's own short description?

    The first pass's ruling detectors miss rulings on such texts that the full model's catch (a
    reseller, an adopter's in-house use), so those rows go to the full model whatever the first pass's
    confidence. A logistic regression on the first pass's features, learned from the training rows'
    own sources (team-style examples against real-style rows); its cross-validated accuracy is in
    the manifest.
    """

    def __init__(self, model, cv: dict):
        self.model = model
        self.cv_ = cv

    @classmethod
    def fit(cls, X, y: np.ndarray) -> StyleRouter | None:
        """``X``: the first pass's features of the training rows; ``y``: whether each is real-style."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import cross_val_predict

        y = np.asarray(y, dtype=bool)
        if y.sum() < 20 or (~y).sum() < 20:
            return None
        model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        oof = cross_val_predict(model, X, y, cv=5)
        cv = {"accuracy": round(float((oof == y).mean()), 3), "real_style_recall": round(float(oof[y].mean()), 3),
              "rows": int(len(y))}
        return cls(model.fit(X, y), cv)

    def is_real_style(self, features) -> np.ndarray:
        return self.model.predict(features).astype(bool)
