"""`make bench`: accuracy and speed of the full system against two baselines, in one run, on both
dev sets (data/dev_eval.csv, team style; data/real/real_dev.csv, real style). It writes
bench/results/bench.json and rewrites the README's figure tables from it.

Baselines, computed in the same run on the same rows:
- lexical only: jieba + TF-IDF over the same references and rules (no embeddings);
- names only: the embedding model against the 87 item names (no definitions, examples or rules).
Speed figures are medians, with ratios to the bare encode of the same text and to the lexical
baseline. With the default model, the ONNX encoder path is also compared with the torch path it
replaced: the same rows through the same index, throughput and top-1 for each.
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
import time
from pathlib import Path

import pandas as pd

from classifier.engine.embedding import CachedEncoder, SentenceTransformerEncoder
from classifier.engine.pipeline import Classifier
from classifier.evaluation import baselines, figures
from classifier.evaluation.evaluate import EvalReport, score_frame
from classifier.evaluation.readme_tables import update_readme
from classifier.settings import BASE_MODEL, ONNX_MODEL, PROJECT_ROOT, Settings

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


def accuracy(clf: Classifier, lexical: Classifier, dev: pd.DataFrame, *, plots: bool = True) -> tuple[dict, dict]:
    texts = dev["text"].tolist()
    full_predictions = clf.classify_many(texts)
    reports = {
        "full system": score_frame(full_predictions, dev),
        "lexical only": score_frame(lexical.classify_many(texts), dev),
        "names only": score_frame(baselines.names_only(clf, texts), dev),
    }
    if plots:
        FIGURES.mkdir(parents=True, exist_ok=True)
        figures.coverage_precision(reports, FIGURES / "coverage_precision.png")
        figures.reliability(reports["full system"], FIGURES / "reliability.png")
        figures.confusion_by_subcategory(dev["code"].tolist(), [p.code for p in full_predictions],
                                         FIGURES / "confusion_subcategory.png")
    result = {name: _summary(r) for name, r in reports.items()}
    result["rows"] = len(dev)
    full = reports["full system"]
    result["full system"]["rulings_rows"] = full.rule_rows
    result["full system"]["rulings_verdict_accuracy"] = round(full.rule_verdict_accuracy, 3)
    result["ratios"] = {}
    for key in ("lexical only", "names only"):
        tag = key.replace(" ", "_")
        result["ratios"][f"top1_full_over_{tag}"] = round(full.top1 / max(reports[key].top1, 1e-9), 2)
        result["ratios"][f"top1_error_{tag}_over_full"] = round((1 - reports[key].top1) / max(1 - full.top1, 1e-9), 2)
    return result, reports


def speed(clf: Classifier, lexical: Classifier, dev: pd.DataFrame, rows: int, repeats: int) -> dict:
    inner = clf.features.encoder.inner
    cached_clf, clf = clf, clf.with_encoder(inner)  # measure compute, not the cache
    singles = [f"{t}（{i}）" for i, t in enumerate(dev["text"].tolist()[:repeats])]
    texts = (dev["text"].tolist() * (1 + rows // len(dev)))[:rows]
    encode_only, full_one, lexical_one = [], [], []
    for text in singles:
        t0 = time.perf_counter()
        inner.encode([text], "query")
        encode_only.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        clf.classify(text + " ")
        full_one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        lexical.classify(text)
        lexical_one.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    inner.encode(texts, "query")
    encode_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    clf.classify_many(texts)
    batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    lexical.classify_many(texts)
    lexical_batch = time.perf_counter() - t0
    rerunning = cached_clf.with_encoder(CachedEncoder(inner, None))
    rerunning.classify_many(texts)
    t0 = time.perf_counter()
    rerunning.classify_many(texts)
    rerun = time.perf_counter() - t0
    return {
        "single_latency_ms": {"p50": _median_ms(full_one), "p95": _p95_ms(full_one)},
        "baseline_encode_only_ms": {"p50": _median_ms(encode_only), "p95": _p95_ms(encode_only)},
        "baseline_lexical_only_ms": {"p50": _median_ms(lexical_one), "p95": _p95_ms(lexical_one)},
        "single_ratio_to_encode_only": round(statistics.median(full_one) / statistics.median(encode_only), 2),
        "single_ratio_to_lexical_only": round(statistics.median(full_one) / statistics.median(lexical_one), 1),
        "batch_rows": len(texts),
        "batch_rows_per_s": round(len(texts) / batch, 1),
        "baseline_encode_only_rows_per_s": round(len(texts) / encode_batch, 1),
        "baseline_lexical_only_rows_per_s": round(len(texts) / lexical_batch, 1),
        "batch_ratio_to_encode_only": round(batch / encode_batch, 2),
        "rerun_cached_rows_per_s": round(len(texts) / rerun, 1),
        "rerun_speedup": round(batch / rerun, 1),
    }


def encoder_paths(clf: Classifier, dev: pd.DataFrame, settings: Settings, rounds: int = 2) -> dict:
    """The adopted ONNX encoder against the torch encoder of the same model, end to end, uncached.

    Rounds alternate between the two paths so that background load hits both alike."""
    texts = dev["text"].tolist()
    paths = {"onnx": clf.features.encoder.inner,
             "torch": SentenceTransformerEncoder(BASE_MODEL, settings.cache_dir, fetch=False)}
    variants = {name: clf.with_encoder(encoder) for name, encoder in paths.items()}
    batch: dict[str, list[float]] = {name: [] for name in paths}
    single: dict[str, list[float]] = {name: [] for name in paths}
    top1 = {}
    for encoder in paths.values():
        encoder.encode(["載入模型"], "query")  # loading is not throughput
    for _ in range(rounds):
        for name, variant in variants.items():
            t0 = time.perf_counter()
            predictions = variant.classify_many(texts)
            batch[name].append(time.perf_counter() - t0)
            top1[name] = round(score_frame(predictions, dev).top1, 3)
            for i, text in enumerate(texts[:20]):
                t0 = time.perf_counter()
                variant.classify(f"{text}（{i}）")
                single[name].append(time.perf_counter() - t0)
    result = {name: {"rows_per_s": round(len(texts) / statistics.median(batch[name]), 1),
                     "single_p50_ms": _median_ms(single[name]), "top1": top1[name]} for name in paths}
    result["throughput_ratio_onnx_over_torch"] = round(statistics.median(batch["torch"]) / statistics.median(batch["onnx"]), 2)
    result["single_latency_ratio_torch_over_onnx"] = round(statistics.median(single["torch"]) / statistics.median(single["onnx"]), 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200, help="rows in the batch test")
    parser.add_argument("--repeats", type=int, default=60, help="single-description calls")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--clients", type=int, default=20, help="concurrent API clients in the load check")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load check runs")
    args = parser.parse_args()
    settings = Settings.from_env()
    dev = pd.read_csv(settings.dev_eval_path, dtype=str, keep_default_na=False)

    start = time.perf_counter()
    clf = Classifier.load(settings)
    first = clf.classify("我們的產品是基於人臉辨識的員工打卡系統，已導入三百家企業")
    cold = time.perf_counter() - start

    lexical = baselines.lexical_only(settings)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "model": clf.manifest.get("model"),
        "rows": len(dev),
        "cold_start_to_first_answer_s": round(cold, 2),
        "first_answer": first.code,
    }
    result["accuracy"] = {"dev_eval": accuracy(clf, lexical, dev)[0]}
    if settings.real_dev_path.is_file():
        real = pd.read_csv(settings.real_dev_path, dtype=str, keep_default_na=False)
        result["accuracy"]["real_dev"] = accuracy(clf, lexical, real, plots=False)[0]
    if not args.skip_speed:
        result["speed"] = speed(clf, lexical, dev, args.rows, args.repeats)
    # before the torch comparison below loads a second copy of the model
    result["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not args.skip_speed and result["model"] == ONNX_MODEL:
        result["encoder_paths"] = encoder_paths(clf, dev, settings)
    if not args.skip_speed:
        from load_check import load_check

        texts = dev["text"].tolist()
        result["api_load"] = load_check(texts, clients=args.clients, seconds=args.seconds)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, acc in result["accuracy"].items():
        print(f"{key}: {acc['rows']} rows")
        print(f"{'system':<14}{'top-1':>7}{'top-3':>7}{'vF1':>7}{'flagR':>7}{'false':>7}{'unflag':>8}{'prec':>7}")
        for name in ("full system", "lexical only", "names only"):
            r = acc[name]
            print(f"{name:<14}{r['top1']:>7.3f}{r['top3']:>7.3f}{r['verdict_macro_f1']:>7.3f}{r['flag_recall']:>7.3f}"
                  f"{r['false_flag_rate']:>7.3f}{r['unflagged_share']:>8.3f}{r['unflagged_precision']:>7.3f}")
        print("ratios:", acc["ratios"])
    if update_readme(PROJECT_ROOT / "README.md", result):
        print("README figure tables rewritten from bench.json")
    print(json.dumps({k: v for k, v in result.items() if k not in ("accuracy",)}, indent=2, ensure_ascii=False))
    print(f"written: {RESULTS / 'bench.json'}, figures in {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
