"""Accuracy, verdict accuracy, per-category table, coverage against precision and calibration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from classifier.engine.pipeline import Classifier
from classifier.errors import InputError
from classifier.files.tables import require_column
from classifier.records import Prediction


@dataclass(frozen=True)
class CoveragePoint:
    threshold: float
    coverage: float
    precision: float


@dataclass(frozen=True)
class EvalReport:
    n: int
    top1: float
    top3: float
    verdict_accuracy: float
    rule_rows: int
    rule_top1: float
    rule_verdict_accuracy: float
    per_category: list[dict] = field(default_factory=list)
    per_style: list[dict] = field(default_factory=list)
    coverage: list[CoveragePoint] = field(default_factory=list)
    coverage_at: dict[str, float] = field(default_factory=dict)
    reliability: list[dict] = field(default_factory=list)
    expected_calibration_error: float = 0.0
    errors: list[dict] = field(default_factory=list)
    verdict_macro_f1: float = 0.0
    flag_recall: float = 0.0  # gold conditional/ineligible rows not called eligible
    false_flag_rate: float = 0.0  # gold eligible rows called conditional/ineligible
    unflagged_share: float = 0.0  # rows left without needs_review
    unflagged_precision: float = 0.0  # of those, item and verdict both right
    top1_with_alternatives: float = 0.0
    per_failure_class: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def coverage_curve(confidence: np.ndarray, correct: np.ndarray) -> list[CoveragePoint]:
    """Accept predictions at or above each threshold: what share is accepted, and how many are right."""
    points = []
    for threshold in np.round(np.arange(0.0, 1.0001, 0.01), 2):
        accepted = confidence >= threshold
        if accepted.sum() == 0:
            points.append(CoveragePoint(float(threshold), 0.0, 1.0))
            continue
        points.append(CoveragePoint(float(threshold), float(accepted.mean()), float(correct[accepted].mean())))
    return points


def coverage_at_precision(curve: list[CoveragePoint], target: float) -> float:
    """The largest coverage whose precision reaches ``target`` (0 when none does)."""
    return max((p.coverage for p in curve if p.precision >= target and p.coverage > 0), default=0.0)


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> tuple[list[dict], float]:
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence >= lo) & ((confidence < hi) if hi < 1 else (confidence <= hi))
        if inside.sum() == 0:
            continue
        mean_conf, accuracy = float(confidence[inside].mean()), float(correct[inside].mean())
        rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()), "confidence": mean_conf, "accuracy": accuracy})
        ece += inside.mean() * abs(mean_conf - accuracy)
    return rows, float(ece)


# Failure classes of real descriptions, by the gold rulings that mark them.
FAILURE_CLASSES = (
    ("in-house / adopter", {"self_use", "adopter_in_house"}),
    ("no AI method / sensors / programmed", {"no_ai_method", "unclear_ai_method", "rfid_only", "infrared_only",
                                            "crawler_wordfreq", "hardcoded_robot", "drone_no_ai"}),
    ("medical approval", {"medical_approval", "wearable_certification", "wearable_certification_unknown"}),
    ("reseller / agent", {"reseller_core", "reseller_only"}),
    ("overseas only", {"overseas_only"}),
)


def macro_f1(gold: list[str], predicted: list[str], labels=("eligible", "conditional", "ineligible")) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(scores)) if scores else 0.0


def failure_class_table(predictions, rule_ids, top1, verdict_ok) -> list[dict]:
    rows = []
    rule_sets = [set(filter(None, str(r).split(";"))) for r in rule_ids]
    flagged = np.array([p.verdict != "eligible" for p in predictions])
    reviewed = np.array([p.needs_review for p in predictions])
    for name, members in (*FAILURE_CLASSES, ("no ruling (eligible)", None)):
        inside = np.array([(not rs) if members is None else bool(rs & members) for rs in rule_sets])
        if not inside.any():
            continue
        rows.append({"class": name, "n": int(inside.sum()), "top1": float(top1[inside].mean()),
                     "verdict_accuracy": float(verdict_ok[inside].mean()),
                     "called_not_eligible": float(flagged[inside].mean()),
                     "needs_review": float(reviewed[inside].mean())})
    return rows


def score(predictions: list[Prediction], gold_codes: list[str], gold_verdicts: list[str],
          rule_ids: list[str], styles: list[str] | None = None, alternatives: list[str] | None = None) -> EvalReport:
    """Compare predictions with gold labels. Several acceptable codes may be joined with ';'."""
    acceptable = [set(str(g).split(";")) for g in gold_codes]
    with_alternatives = [ok | set(filter(None, str(a).split(";")))
                         for ok, a in zip(acceptable, alternatives or [""] * len(acceptable))]
    top1 = np.array([p.code in ok for p, ok in zip(predictions, acceptable)])
    top3 = np.array([any(s.code in ok for s in p.suggestions[:3]) for p, ok in zip(predictions, acceptable)])
    verdict_ok = np.array([p.verdict == g for p, g in zip(predictions, gold_verdicts)])
    confidence = np.array([p.best.confidence for p in predictions])
    has_rule = np.array([bool(str(r).strip()) for r in rule_ids])
    categories = [sorted(ok)[0].split(".")[0] for ok in acceptable]
    frame = pd.DataFrame({"category": categories, "top1": top1, "top3": top3, "verdict": verdict_ok,
                          "style": styles or [""] * len(predictions)})
    per_category = [
        {"category": c, "n": int(len(g)), "top1": float(g.top1.mean()), "top3": float(g.top3.mean()),
         "verdict_accuracy": float(g.verdict.mean())}
        for c, g in frame.groupby("category", sort=True)
    ]
    per_style = [
        {"style": s, "n": int(len(g)), "top1": float(g.top1.mean()), "top3": float(g.top3.mean())}
        for s, g in frame.groupby("style", sort=True) if s
    ]
    curve = coverage_curve(confidence, top1)
    reliability, ece = reliability_bins(confidence, top1.astype(float))
    errors = [
        {"row": i, "gold": g, "predicted": p.code, "top3": ";".join(s.code for s in p.suggestions[:3]),
         "gold_verdict": gv, "verdict": p.verdict, "rule_ids": ";".join(p.rule_ids), "text": p.text[:120]}
        for i, (p, g, gv, ok, vok) in enumerate(zip(predictions, gold_codes, gold_verdicts, top1, verdict_ok))
        if not ok or not vok
    ]
    predicted_verdicts = [p.verdict for p in predictions]
    gold_flag = np.array([g != "eligible" for g in gold_verdicts])
    predicted_flag = np.array([v != "eligible" for v in predicted_verdicts])
    unflagged = np.array([not p.needs_review for p in predictions])
    both = top1 & verdict_ok
    return EvalReport(
        verdict_macro_f1=macro_f1(list(gold_verdicts), predicted_verdicts),
        flag_recall=float(predicted_flag[gold_flag].mean()) if gold_flag.any() else 0.0,
        false_flag_rate=float(predicted_flag[~gold_flag].mean()) if (~gold_flag).any() else 0.0,
        unflagged_share=float(unflagged.mean()) if len(unflagged) else 0.0,
        unflagged_precision=float(both[unflagged].mean()) if unflagged.any() else 0.0,
        top1_with_alternatives=float(np.mean([p.code in ok for p, ok in zip(predictions, with_alternatives)])),
        per_failure_class=failure_class_table(predictions, rule_ids, top1, verdict_ok),
        n=len(predictions), top1=float(top1.mean()), top3=float(top3.mean()),
        verdict_accuracy=float(verdict_ok.mean()), rule_rows=int(has_rule.sum()),
        rule_top1=float(top1[has_rule].mean()) if has_rule.any() else 0.0,
        rule_verdict_accuracy=float(verdict_ok[has_rule].mean()) if has_rule.any() else 0.0,
        per_category=per_category, per_style=per_style, coverage=curve,
        coverage_at={"0.95": coverage_at_precision(curve, 0.95), "0.97": coverage_at_precision(curve, 0.97)},
        reliability=reliability, expected_calibration_error=ece, errors=errors,
    )


def evaluate_frame(classifier: Classifier, frame: pd.DataFrame, *, text_column: str = "text",
                   label_column: str = "code") -> EvalReport:
    require_column(frame, text_column, "text")
    require_column(frame, label_column, "code", kind="label")
    if frame.empty:
        raise InputError("Expected labelled rows to evaluate; the file has none.", reason="empty_file",
                         name="the file")
    if label_column != "code":
        frame = frame.drop(columns=["code"], errors="ignore").rename(columns={label_column: "code"})
    return score_frame(classifier.classify_many(frame[text_column].tolist()), frame)


def score_frame(predictions: list[Prediction], frame: pd.DataFrame) -> EvalReport:
    """Score predictions against a labelled frame (code, and verdict/rule_ids/style when present)."""
    verdicts = frame["verdict"].tolist() if "verdict" in frame.columns else ["eligible"] * len(frame)
    rule_ids = frame["rule_ids"].tolist() if "rule_ids" in frame.columns else [""] * len(frame)
    styles = frame["style"].tolist() if "style" in frame.columns else None
    alternatives = frame["alt_codes"].tolist() if "alt_codes" in frame.columns else None
    return score(predictions, frame["code"].tolist(), verdicts, rule_ids, styles, alternatives)


def format_report(report: EvalReport, *, show_errors: int = 0) -> str:
    lines = [
        f"rows: {report.n}",
        f"top-1: {report.top1:.3f}   top-3: {report.top3:.3f}   verdict accuracy: {report.verdict_accuracy:.3f}",
        f"rulings rows: {report.rule_rows}   their top-1: {report.rule_top1:.3f}   their verdict accuracy: {report.rule_verdict_accuracy:.3f}",
        f"verdict macro-F1: {report.verdict_macro_f1:.3f}   flag recall: {report.flag_recall:.3f}   "
        f"false flags on eligible rows: {report.false_flag_rate:.3f}",
        f"left without review: {report.unflagged_share:.3f} of rows, {report.unflagged_precision:.3f} of them right "
        f"(item and verdict)   top-1 with alternatives: {report.top1_with_alternatives:.3f}",
        f"coverage at precision 0.95: {report.coverage_at['0.95']:.3f}   at 0.97: {report.coverage_at['0.97']:.3f}",
        f"expected calibration error: {report.expected_calibration_error:.3f}",
        "",
        "category     n   top-1  top-3  verdict",
    ]
    lines += [f"{r['category']:<9}{r['n']:>5}   {r['top1']:.3f}  {r['top3']:.3f}  {r['verdict_accuracy']:.3f}"
              for r in report.per_category]
    if report.per_style:
        lines += ["", "style          n   top-1  top-3"]
        lines += [f"{r['style']:<12}{r['n']:>4}   {r['top1']:.3f}  {r['top3']:.3f}" for r in report.per_style]
    if report.per_failure_class:
        lines += ["", "failure class                          n   top-1  verdict  not-eligible  review"]
        lines += [f"{r['class']:<36}{r['n']:>5}   {r['top1']:.3f}  {r['verdict_accuracy']:.3f}    {r['called_not_eligible']:.3f}"
                  f"        {r['needs_review']:.3f}" for r in report.per_failure_class]
    lines += ["", "confidence ≥   coverage  precision"]
    lines += [f"   {p.threshold:.2f}        {p.coverage:.3f}     {p.precision:.3f}"
              for p in report.coverage if round(p.threshold * 10, 6) == int(round(p.threshold * 10, 6))]
    lines += ["", "reliability: bin  n  confidence  accuracy"]
    lines += [f"   {r['bin']}  {r['n']:>4}  {r['confidence']:.3f}  {r['accuracy']:.3f}" for r in report.reliability]
    if show_errors:
        lines += ["", f"first {show_errors} misses (gold → predicted):"]
        lines += [f"   {e['gold']} → {e['predicted']} [{e['top3']}] {e['gold_verdict']}→{e['verdict']} {e['rule_ids']}  {e['text']}"
                  for e in report.errors[:show_errors]]
    return "\n".join(lines)
