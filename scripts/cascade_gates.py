"""What each of the default path's conditions for letting the first pass answer costs and buys.

The first pass answers a row when its confidence reaches the threshold, its runner-up is not close
(and no ruling detector came near firing), no ruling detector fired, and the style router does not
call the text real-world style. This replays both paths' answers on both dev sets with some of
those conditions dropped, at several thresholds, and reports against the full model only: the
share the first pass would answer, top-1, verdict macro-F1 and the rows left without review. The
rows/s column is what a batch of the dev sets would reach at that share, from the seconds per row
of each path measured in this run. It shows why 50 rows/s is out of reach here: only dropping the
ruling gates lets the first pass answer enough rows, and that costs verdict macro-F1.
Writes bench/results/cascade_gates.json.
Usage: python scripts/cascade_gates.py
"""

from __future__ import annotations

import itertools
import json
import sys
import time

import numpy as np
import pandas as pd

from classifier.engine.cascade import _UNSURE
from classifier.engine.pipeline import Classifier
from classifier.evaluation.evaluate import score_frame
from classifier.settings import PROJECT_ROOT, Settings

RESULTS = PROJECT_ROOT / "bench" / "results"
THRESHOLDS = (0.89, 0.8, 0.7, 0.6, 0.5)
# (runner-up/near-ruling condition, ruling-detector condition, style router)
GATES = list(itertools.product((True, False), repeat=3))


def taken(prediction, threshold: float, real_style: bool, gates: tuple[bool, bool, bool]) -> bool:
    unsure, detectors, style = gates
    if prediction.best.confidence < threshold:
        return False
    if unsure and _UNSURE & set(prediction.review_reasons):
        return False
    if detectors and any(hit.trigger for hit in prediction.rule_hits):
        return False
    return not (style and real_style)


def main() -> int:
    settings = Settings.from_env()
    clf = Classifier.load(settings)
    measuring = clf.with_encoder(clf.features.encoder.inner)  # no stored answers, no embedding cache
    measuring.classify("載入模型", path="full")
    frames = {"dev_eval": pd.read_csv(settings.dev_eval_path, dtype=str, keep_default_na=False),
              "real_dev": pd.read_csv(settings.real_dev_path, dtype=str, keep_default_na=False)}
    answers, seconds = {}, {"first_pass": 0.0, "full": 0.0}
    for name, frame in frames.items():
        texts = frame["text"].tolist()
        answers[name] = {}
        for path in ("first_pass", "full"):
            t0 = time.perf_counter()
            answers[name][path] = measuring.classify_many(texts, path=path)
            seconds[path] += time.perf_counter() - t0
    rows = sum(len(f) for f in frames.values())
    per_row = {path: s / rows for path, s in seconds.items()}
    result = {"seconds_per_row": per_row, "rows": rows, "points": []}
    full = {name: score_frame(answers[name]["full"], frame) for name, frame in frames.items()}
    for gates, threshold in itertools.product(GATES, THRESHOLDS):
        point = {"runner_up_gate": gates[0], "detector_gate": gates[1], "style_gate": gates[2],
                 "threshold": threshold}
        shares = []
        for name, frame in frames.items():
            first, whole = answers[name]["first_pass"], answers[name]["full"]
            features = clf.first_pass.features.transform([p.normalised for p in first], "query")
            real = clf.style.is_real_style(features) if clf.style is not None else np.zeros(len(first), bool)
            pick = [taken(p, threshold, r, gates) for p, r in zip(first, real)]
            report = score_frame([a if ok else b for a, b, ok in zip(first, whole, pick)], frame)
            shares += pick
            point[name] = {"first_pass_share": round(float(np.mean(pick)), 3),
                           "top1_minus_full": round(report.top1 - full[name].top1, 3),
                           "verdict_f1_minus_full": round(report.verdict_macro_f1 - full[name].verdict_macro_f1, 3),
                           "unflagged": f"{report.unflagged_share:.3f}@{report.unflagged_precision:.3f}"}
        share = float(np.mean(shares))
        point["rows_per_s"] = round(1 / (per_row["first_pass"] + (1 - share) * per_row["full"]), 1)
        result["points"].append(point)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cascade_gates.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("full model unflagged: " + ", ".join(f"{n} {r.unflagged_share:.3f}@{r.unflagged_precision:.3f}"
                                              for n, r in full.items()))
    print("gates (runner-up, detector, style)  thr   rows/s  | dev_eval share Δtop1 ΔvF1 | real_dev share Δtop1 ΔvF1")
    for p in result["points"]:
        gates = "".join("x" if p[k] else "-" for k in ("runner_up_gate", "detector_gate", "style_gate"))
        cells = " | ".join(f"{p[n]['first_pass_share']:.2f} {p[n]['top1_minus_full']:+.3f} "
                           f"{p[n]['verdict_f1_minus_full']:+.3f}" for n in frames)
        print(f"{gates:<36}{p['threshold']:<6}{p['rows_per_s']:>7}  | {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
