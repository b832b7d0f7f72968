"""Speed benchmark on this machine: one run, figures as medians and as ratios to a baseline.

Baseline: the bare sentence-transformers encode of the same text (the floor any embedding
classifier pays). Usage: python scripts/bench.py [--rows N] [--repeats R]
Writes bench/results/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

import pandas as pd

from classifier.embedding import CachedEncoder
from classifier.pipeline import Classifier
from classifier.settings import PROJECT_ROOT, Settings


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)] * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200, help="rows in the batch test")
    parser.add_argument("--repeats", type=int, default=60, help="single-description calls")
    args = parser.parse_args()
    settings = Settings.from_env()

    start = time.perf_counter()
    clf = Classifier.load(settings)
    cached: CachedEncoder = clf.features.encoder
    inner = cached.inner
    # Measure compute, not the cache: queries go straight to the model.
    clf.features.encoder = inner
    first = clf.classify("我們的產品是基於人臉辨識的員工打卡系統")
    cold = time.perf_counter() - start

    dev = pd.read_csv(settings.dev_eval_path, dtype=str, keep_default_na=False)
    texts = (dev["text"].tolist() * (1 + args.rows // len(dev)))[: args.rows]
    singles = [f"{t}（{i}）" for i, t in enumerate(dev["text"].tolist()[: args.repeats])]

    encode_only, classify_one = [], []
    for text in singles:
        t0 = time.perf_counter()
        inner.encode([text], "query")
        encode_only.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        clf.classify(text + " ")
        classify_one.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    inner.encode(texts, "query")
    encode_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    clf.classify_many(texts)
    batch = time.perf_counter() - t0

    # Re-running a batch over texts seen before reuses the hash-keyed embedding cache.
    scratch = CachedEncoder(inner, None)
    clf.features.encoder = scratch
    clf.classify_many(texts)
    t0 = time.perf_counter()
    clf.classify_many(texts)
    rerun = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "model": clf.manifest.get("model"),
        "cold_start_to_first_answer_s": round(cold, 2),
        "first_answer": first.code,
        "single_latency_ms": {"p50": _median_ms(classify_one), "p95": _p95_ms(classify_one)},
        "baseline_encode_only_ms": {"p50": _median_ms(encode_only), "p95": _p95_ms(encode_only)},
        "single_ratio_to_encode_only": round(statistics.median(classify_one) / statistics.median(encode_only), 2),
        "batch_rows": len(texts),
        "batch_rows_per_s": round(len(texts) / batch, 1),
        "baseline_encode_only_rows_per_s": round(len(texts) / encode_batch, 1),
        "batch_ratio_to_encode_only": round(batch / encode_batch, 2),
        "rerun_cached_rows_per_s": round(len(texts) / rerun, 1),
        "rerun_speedup": round(batch / rerun, 1),
        "peak_memory_mb": round(peak_mb),
    }
    out = PROJECT_ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
