"""Learned ruling detectors: one calibrated classifier per ruling family, on the dense features.

The term rules catch explicit statements (「純自用」, 「僅RFID」). Real descriptions rarely say it
outright: a bank "launching AI customer service" is in-house use, a "smart" meter with fixed
thresholds has no AI method. A detector reads that between the lines. A hit without an explicit
term gives 「有條件」, cites the FAQ, names the sentence that triggered it and asks the ruling's
follow-up question. Families and their wording live in data/detectors.jsonl.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifier.engine.embedding import unit_rows
from classifier.errors import DataFileError
from classifier.records import Example, RuleHit

_FIELDS = ("family", "rule_id", "faq", "positive_rules", "message_zh", "message_en", "question_zh", "question_en")


@dataclass(frozen=True)
class DetectorSpec:
    family: str
    rule_id: str
    faq: int
    positive_rules: tuple[str, ...]
    message_zh: str
    message_en: str
    question_zh: str
    question_en: str

    def hit(self, sentence: str) -> RuleHit:
        return RuleHit(rule_id=self.rule_id, faq=self.faq, effect="conditional", message_zh=self.message_zh,
                       message_en=self.message_en, question_zh=self.question_zh, question_en=self.question_en,
                       trigger=sentence)


def load_specs(path: Path) -> tuple[DetectorSpec, ...]:
    if not path.is_file():
        raise DataFileError(f"Expected the detector file {path}; it does not exist. Restore it from git.")
    specs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path.name} line {number}: expected one JSON object per line; {exc}.") from exc
        missing = [f for f in _FIELDS if f not in data]
        if missing:
            raise DataFileError(f"{path.name} line {number}: expected fields {list(_FIELDS)}; missing {missing}.")
        specs.append(DetectorSpec(**{**{f: data[f] for f in _FIELDS}, "positive_rules": tuple(data["positive_rules"])}))
    return tuple(specs)


def family_labels(spec: DetectorSpec, examples: list[Example]) -> np.ndarray:
    """1 for a positive, 0 for a clean negative (eligible, no ruling), -1 for rows left out."""
    labels = np.full(len(examples), -1, dtype=np.int64)
    marks = {*spec.positive_rules, spec.rule_id, f"family:{spec.family}"}
    for i, ex in enumerate(examples):
        if set(ex.rule_ids) & marks:
            labels[i] = 1
        elif ex.verdict == "eligible" and not ex.rule_ids:  # family marks only sit on positives
            labels[i] = 0
    return labels


def _model(C: float) -> CalibratedClassifierCV:
    base = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    return CalibratedClassifierCV(base, method="sigmoid", cv=3)


class RulingDetectors(BaseEstimator):
    """One calibrated logistic regression per family; thresholds chosen on out-of-fold probabilities.

    Parameters
    ----------
    C : float, default=2.0
        Inverse regularisation of each logistic regression.
    min_positives : int, default=20
        A family with fewer positives gets no detector (it would only add false flags).

    Attributes
    ----------
    families_ : tuple of str
    models_ : dict of family -> fitted CalibratedClassifierCV
    thresholds_ : dict of family -> float, the probability at which a family fires
    cv_ : dict of family -> dict of out-of-fold precision, recall, positives and negatives
    oof_ : dict of family -> (row positions, out-of-fold probabilities), for choosing the review band
    """

    def __init__(self, C: float = 2.0, min_positives: int = 20):
        self.C = C
        self.min_positives = min_positives

    def fit(self, dense: np.ndarray, examples: list[Example], specs: tuple[DetectorSpec, ...]) -> RulingDetectors:
        self.models_, self.thresholds_, self.cv_, self.oof_ = {}, {}, {}, {}
        for spec in specs:
            labels = family_labels(spec, examples)
            rows = np.flatnonzero(labels >= 0)
            y = labels[rows]
            if y.sum() < self.min_positives or (1 - y).sum() < self.min_positives:
                continue
            X = dense[rows]
            folds = StratifiedKFold(5, shuffle=True, random_state=0)
            oof = cross_val_predict(_model(self.C), X, y, cv=folds, method="predict_proba")[:, 1]
            threshold, stats = _choose_threshold(oof, y)
            self.models_[spec.family] = _model(self.C).fit(X, y)
            self.thresholds_[spec.family] = threshold
            self.cv_[spec.family] = stats
            self.oof_[spec.family] = (rows, oof)
        self.families_ = tuple(self.models_)
        return self

    def oof_ratio(self, n_rows: int) -> np.ndarray:
        """Per training row, its highest out-of-fold probability as a share of that family's threshold
        (0 where no family scored it)."""
        ratio = np.zeros(n_rows)
        for family, (rows, probs) in self.oof_.items():
            ratio[rows] = np.maximum(ratio[rows], probs / self.thresholds_[family])
        return ratio

    def predict_proba(self, dense: np.ndarray) -> dict[str, np.ndarray]:
        """Probability of each family for each row.

        The same numbers as each model's ``predict_proba``, as one matrix product for all families:
        sklearn's per-call input checks cost ~20 ms per family for a single description."""
        linear = self.__dict__.get("_linear")
        if linear is None:
            linear = self._linear = _Linearised.of(self.models_)
        if linear is None:
            return {family: model.predict_proba(dense)[:, 1] for family, model in self.models_.items()}
        return linear.predict(np.asarray(dense, dtype=np.float64))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_linear", None)
        return state


def choose_band(ratio: np.ndarray, eligible: np.ndarray, target: float, floor: float = 0.3) -> float:
    """The widest review band: rows whose detector ratio stays below it are eligible at least ``target``
    of the time (out of fold). A lower band asks for review more often."""
    for band in np.round(np.arange(1.0, floor - 1e-9, -0.05), 2):
        kept = ratio < band
        if kept.sum() >= 10 and eligible[kept].mean() >= target:
            return float(band)
    return floor


def _precision_recall(probs: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    predicted = probs >= threshold
    tp = float((predicted & (y == 1)).sum())
    return tp / max(predicted.sum(), 1), tp / max((y == 1).sum(), 1)


def _choose_threshold(probs: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """The threshold with the best F1 on out-of-fold probabilities, kept within 0.35–0.85."""
    best = (0.5, -1.0, 0.0, 0.0)
    for threshold in np.arange(0.35, 0.86, 0.05):
        precision, recall = _precision_recall(probs, y, threshold)
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        if f1 > best[1]:
            best = (float(round(threshold, 2)), f1, precision, recall)
    threshold, f1, precision, recall = best
    return threshold, {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
                       "positives": int(y.sum()), "negatives": int((1 - y).sum())}


class _Linearised:
    """Sigmoid-calibrated logistic regressions unrolled: p = mean over folds of
    1 / (1 + exp(a·(x·w + c) + b)). Checked against sklearn on a probe; None when they disagree
    (another calibration method, another sklearn), and sklearn is used as it is."""

    def __init__(self, families, weights, intercepts, a, b, folds):
        self.families, self.weights, self.intercepts, self.a, self.b, self.folds = (
            families, weights, intercepts, a, b, folds)

    @classmethod
    def of(cls, models: dict) -> _Linearised | None:
        if not models:
            return None
        families, columns, intercepts, a, b, folds = [], [], [], [], [], []
        for family, model in models.items():
            parts = getattr(model, "calibrated_classifiers_", [])
            for part in parts:
                calibrators = getattr(part, "calibrators", [])
                coef = getattr(part.estimator, "coef_", None)
                if len(calibrators) != 1 or coef is None or coef.shape[0] != 1 or not hasattr(calibrators[0], "a_"):
                    return None
                columns.append(coef[0])
                intercepts.append(float(part.estimator.intercept_[0]))
                a.append(float(calibrators[0].a_))
                b.append(float(calibrators[0].b_))
            families.append(family)
            folds.append(len(parts))
        linear = cls(families, np.stack(columns, axis=1), np.array(intercepts), np.array(a), np.array(b), folds)
        probe = unit_rows(np.random.default_rng(0).normal(size=(3, linear.weights.shape[0])))
        found = linear.predict(probe)
        for family, model in models.items():
            if not np.allclose(found[family], model.predict_proba(probe)[:, 1], atol=1e-9):
                return None
        return linear

    def predict(self, dense: np.ndarray) -> dict[str, np.ndarray]:
        z = dense @ self.weights + self.intercepts
        probs = 1.0 / (1.0 + np.exp(self.a * z + self.b))
        out, start = {}, 0
        for family, n in zip(self.families, self.folds):
            out[family] = probs[:, start:start + n].mean(axis=1)
            start += n
        return out
