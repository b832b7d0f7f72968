"""`make bench`: accuracy and speed of every path and two baselines, in one run, on both dev sets
(data/dev_eval.csv, team style; data/real/real_dev.csv, real style). It writes
bench/results/bench.json and rewrites the README's figure tables from it.

Paths, on the same rows and in the same run: the default (the static first pass answers the rows
it is sure of, the full model the rest), the full model only, the first pass only, and quick mode
(the first pass answers every row; the rows the default path would hand on are flagged for review).
Baselines: lexical only (jieba + TF-IDF over the same references and rules, no embeddings) and
names only (the embedding model against the 87 item names).
Speed: each path over the same unique descriptions (1,000 by default: both dev sets, then training
rows; never the blind sets), uncached; single-description p50/p95 per path; a re-run from stored
answers (in memory, from disk, and through the batch file code); cold start; peak memory. The
threshold sweep replays both paths' per-row answers to plot top-1 against rows/s.
Writes bench/results/bench.json and the plots in docs/figures/.
Usage: python scripts/bench.py [--rows N] [--repeats R] [--skip-speed]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.engine.pipeline import Classifier
from classifier.evaluation import baselines, figures
from classifier.evaluation.evaluate import EvalReport, score_frame
from classifier.evaluation.readme_tables import update_readme
from classifier.settings import PROJECT_ROOT, Settings

FIGURES = Path(os.environ.get("AIREG_FIGURES_DIR", PROJECT_ROOT / "docs" / "figures"))
RESULTS = PROJECT_ROOT / "bench" / "results"


def _summary(report: EvalReport) -> dict:
    return {"top1": round(report.top1, 3), "top3": round(report.top3, 3),
            "top1_with_alternatives": round(report.top1_with_alternatives, 3),
            "verdict_accuracy": round(report.verdict_accuracy, 3),
            "verdict_macro_f1": round(report.verdict_macro_f1, 3),
            "flag_recall": round(report.flag_recall, 3), "false_flag_rate": round(report.false_flag_rate, 3),
            "unflagged_share": round(report.unflagged_share, 3),
            "unflagged_precision": round(report.unflagged_precision, 3),
            "per_failure_class": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                                  for r in report.per_failure_class],
            "coverage_at_precision_0.95": round(report.coverage_at["0.95"], 3),
            "coverage_at_precision_0.97": round(report.coverage_at["0.97"], 3),
            "expected_calibration_error": round(report.expected_calibration_error, 3)}


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)] * 1000, 1)


PATH_SYSTEMS = (("full system", "auto"), ("full model only", "full"), ("first pass only", "first_pass"),
                ("quick mode", "quick"))


def first_pass_share(predictions) -> float:
    return round(sum(p.answered_by == "first_pass" for p in predictions) / max(len(predictions), 1), 3)


def accuracy(clf: Classifier, lexical: Classifier, dev: pd.DataFrame, *, plots: bool = True) -> tuple[dict, dict]:
    """Every path and both baselines on the same rows. ``clf`` keeps no answers between calls."""
    texts = dev["text"].tolist()
    by_path = {name: clf.classify_many(texts, path=path) for name, path in PATH_SYSTEMS}
    reports = {name: score_frame(predictions, dev) for name, predictions in by_path.items()}
    reports["lexical only"] = score_frame(lexical.classify_many(texts), dev)
    reports["names only"] = score_frame(baselines.names_only(clf, texts), dev)
    full_predictions = by_path["full system"]
    if plots:
        FIGURES.mkdir(parents=True, exist_ok=True)
        figures.coverage_precision({k: reports[k] for k in ("full system", "lexical only", "names only")},
                                   FIGURES / "coverage_precision.png")
        figures.reliability(reports["full system"], FIGURES / "reliability.png")
        figures.confusion_by_subcategory(dev["code"].tolist(), [p.code for p in full_predictions],
                                         FIGURES / "confusion_subcategory.png")
    result = {name: _summary(r) for name, r in reports.items()}
    for name, predictions in by_path.items():
        result[name]["answered_by_first_pass"] = first_pass_share(predictions)
    result["rows"] = len(dev)
    full = reports["full system"]
    result["full system"]["rulings_rows"] = full.rule_rows
    result["full system"]["rulings_verdict_accuracy"] = round(full.rule_verdict_accuracy, 3)
    result["ratios"] = {}
    for key in ("lexical only", "names only"):
        tag = key.replace(" ", "_")
        result["ratios"][f"top1_full_over_{tag}"] = round(full.top1 / max(reports[key].top1, 1e-9), 2)
        result["ratios"][f"top1_error_{tag}_over_full"] = round((1 - reports[key].top1) / max(1 - full.top1, 1e-9), 2)
    return result, by_path


def unique_descriptions(settings: Settings, n: int) -> list[str]:
    """``n`` distinct descriptions: both dev sets, then the training files (never the blind sets)."""
    texts: list[str] = []
    for path in (settings.dev_eval_path, settings.real_dev_path, settings.real_train_path,
                 settings.examples_path, settings.ruling_examples_path):
        if path.is_file():
            texts += pd.read_csv(path, dtype=str, keep_default_na=False)["text"].tolist()
    texts = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(texts) < n:
        raise SystemExit(f"Expected at least {n} distinct descriptions in the data files; found {len(texts)}.")
    # interleave the styles as a registry export would mix them, reproducibly
    return pd.Series(texts).sample(frac=1.0, random_state=0).tolist()[:n]


def speed(clf: Classifier, texts: list[str], singles: dict[str, list[str]]) -> dict:
    """Each path over the same unique descriptions, uncached; single-description latency per path,
    over both styles together and per style (``singles`` maps a style to its descriptions)."""
    inner = clf.features.encoder.inner
    measuring = clf.with_encoder(inner)  # no embedding cache, no stored answers: compute only
    inner.encode(["載入模型"], "query")  # loading is cold start, not throughput
    streams = [[(style, text) for text in chosen] for style, chosen in singles.items()]
    mixed = [pair for row in zip(*streams) for pair in row]  # the styles take turns
    result: dict = {"batch_rows": len(texts), "single_rows": dict(Counter(style for style, _ in mixed)), "paths": {}}
    for name, path in PATH_SYSTEMS:
        one: dict[str, list[float]] = {style: [] for style in singles}
        for i, (style, text) in enumerate(mixed):
            t0 = time.perf_counter()
            measuring.classify(f"{text}（{i}·{path}）", path=path)
            one[style].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        predictions = measuring.classify_many(texts, path=path)
        batch = time.perf_counter() - t0
        every = [t for times in one.values() for t in times]
        result["paths"][name] = {"rows_per_s": round(len(texts) / batch, 1), "seconds_per_row": batch / len(texts),
                                 "single_p50_ms": _median_ms(every), "single_p95_ms": _p95_ms(every),
                                 "single_p50_ms_by_style": {style: _median_ms(t) for style, t in one.items()},
                                 "answered_by_first_pass": first_pass_share(predictions)}
    encode_only = []
    for _style, text in mixed[:20]:
        t0 = time.perf_counter()
        inner.encode([text + "。"], "query")
        encode_only.append(time.perf_counter() - t0)
    result["baseline_encode_only_single_p50_ms"] = _median_ms(encode_only)
    default = result["paths"]["full system"]
    result["speedup_over_full_model"] = round(default["rows_per_s"] / result["paths"]["full model only"]["rows_per_s"], 2)
    result["single_speedup_over_full_model"] = round(
        result["paths"]["full model only"]["single_p50_ms"] / default["single_p50_ms"], 2)
    return result


def rerun(clf: Classifier, texts: list[str]) -> dict:
    """A batch classified again: from the answers kept in memory, from the SQLite store a new process
    reads, and as the batch command runs it (read the file, classify, write the file)."""
    from classifier.engine.prediction_cache import PredictionCache
    from classifier.files.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "predictions.sqlite"
        identity = clf.cache.identity if clf.cache else "bench"
        warm = clf.with_encoder(clf.features.encoder)
        warm.cache = PredictionCache(identity, store)
        t0 = time.perf_counter()
        warm.classify_many(texts)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm.classify_many(texts)
        memory = time.perf_counter() - t0
        fresh = clf.with_encoder(clf.features.encoder)
        fresh.cache = PredictionCache(identity, store)
        t0 = time.perf_counter()
        fresh.classify_many(texts)
        disk = time.perf_counter() - t0
        source, target = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(source, index=False)
        fresh.cache = PredictionCache(identity, store)
        t0 = time.perf_counter()
        run_batch(fresh, source, target)
        whole = time.perf_counter() - t0
    return {"rows": len(texts), "first_run_embeddings_cached_rows_per_s": round(len(texts) / first, 1),
            "rerun_memory_rows_per_s": round(len(texts) / memory, 1),
            "rerun_from_disk_rows_per_s": round(len(texts) / disk, 1),
            "rerun_batch_file_rows_per_s": round(len(texts) / whole, 1)}


def threshold_sweep(clf: Classifier, by_set: dict[str, dict], seconds: dict[str, float]) -> dict:
    """Top-1 of the default path as the first pass's threshold moves, from the per-row answers of
    both paths (the style router and the other conditions as the default path applies them);
    rows/s estimated from the measured seconds per row of each path."""
    from classifier.engine.cascade import NEVER, accepts

    routed = {}
    for key, paths in by_set.items():
        first = paths["first pass only"]
        features = clf.first_pass.features.transform([p.normalised for p in first], "query")
        routed[key] = clf.style.is_real_style(features) if clf.style is not None else np.zeros(len(first), bool)
    points = []
    for threshold in [*np.round(np.arange(0.30, 1.0, 0.02), 2).tolist(), NEVER]:
        point = {"threshold": threshold}
        for key, paths in by_set.items():
            first, full, gold = paths["first pass only"], paths["full model only"], paths["gold"]
            taken = [accepts(p, threshold) and not real for p, real in zip(first, routed[key])]
            answers = [a if ok else b for a, b, ok in zip(first, full, taken)]
            share = sum(taken) / len(taken)
            point[key] = {"top1": round(float(np.mean([p.code in g for p, g in zip(answers, gold)])), 3),
                          "answered_by_first_pass": round(share, 3),
                          "rows_per_s": round(1 / (seconds["first pass only"] + (1 - share) * seconds["full model only"]), 1)}
        points.append(point)
    FIGURES.mkdir(parents=True, exist_ok=True)
    figures.threshold_sweep(points, clf.first_pass_threshold, list(by_set), FIGURES / "threshold_sweep.png")
    return {"chosen_threshold": clf.first_pass_threshold, "points": points}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000, help="unique descriptions in the batch test")
    parser.add_argument("--repeats", type=int, default=60, help="single-description calls per path")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--clients", type=int, default=20, help="concurrent API clients in the load check")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load check runs")
    args = parser.parse_args()
    settings = Settings.from_env()
    dev = pd.read_csv(settings.dev_eval_path, dtype=str, keep_default_na=False)

    start = time.perf_counter()
    loaded = Classifier.load(settings)
    first = loaded.classify("我們的產品是基於人臉辨識的員工打卡系統，已導入三百家企業")
    cold = time.perf_counter() - start
    clf = loaded.with_encoder(loaded.features.encoder)  # embeddings cached, answers never reused

    lexical = baselines.lexical_only(settings)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "model": clf.manifest.get("model"),
        "first_pass": clf.manifest.get("first_pass"),
        "rows": len(dev),
        "cold_start_to_first_answer_s": round(cold, 2),
        "first_answer": first.code,
        "first_answer_by": first.answered_by,
    }
    sets = {"dev_eval": dev}
    if settings.real_dev_path.is_file():
        sets["real_dev"] = pd.read_csv(settings.real_dev_path, dtype=str, keep_default_na=False)
    result["accuracy"], answers = {}, {}
    for key, frame in sets.items():
        result["accuracy"][key], by_path = accuracy(clf, lexical, frame, plots=key == "dev_eval")
        answers[key] = {**by_path, "gold": [set(str(c).split(";")) for c in frame["code"]]}
    if not args.skip_speed:
        texts = unique_descriptions(settings, args.rows)
        # half team style, half real style, taken evenly through each set
        half = max(args.repeats // len(sets), 1)
        singles = {key: frame["text"].tolist()[::max(len(frame) // half, 1)][:half] for key, frame in sets.items()}
        result["speed"] = speed(loaded, texts, singles)
        result["rerun"] = rerun(loaded, texts)
        seconds = {name: r["seconds_per_row"] for name, r in result["speed"]["paths"].items()}
        result["threshold_sweep"] = threshold_sweep(clf, answers, seconds)
    result["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not args.skip_speed:
        from load_check import load_check

        result["api_load"] = load_check(dev["text"].tolist(), clients=args.clients, seconds=args.seconds)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, acc in result["accuracy"].items():
        print(f"{key}: {acc['rows']} rows")
        print(f"{'system':<17}{'top-1':>7}{'top-3':>7}{'vF1':>7}{'flagR':>7}{'false':>7}{'unflag':>8}{'prec':>7}")
        for name in (*[n for n, _p in PATH_SYSTEMS], "lexical only", "names only"):
            r = acc[name]
            print(f"{name:<17}{r['top1']:>7.3f}{r['top3']:>7.3f}{r['verdict_macro_f1']:>7.3f}{r['flag_recall']:>7.3f}"
                  f"{r['false_flag_rate']:>7.3f}{r['unflagged_share']:>8.3f}{r['unflagged_precision']:>7.3f}")
        print("ratios:", acc["ratios"])
    if update_readme(PROJECT_ROOT / "README.md", result):
        print("README figure tables rewritten from bench.json")
    print(json.dumps({k: v for k, v in result.items() if k not in ("accuracy", "threshold_sweep")}, indent=2,
                     ensure_ascii=False))
    print(f"written: {RESULTS / 'bench.json'}, figures in {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
