"""Measure the encoder options against the torch path, in one run on this machine.

Options: torch as configured before (max_seq_length 256, batch 16); torch with max_seq_length 128;
torch with one thread; the ONNX export (the adopted default); the ONNX export quantised to
dynamic int8 (per channel), made here in a temporary folder. For each: encode throughput
(median over interleaved rounds) and the cosine to the torch vectors, batched and one text at a
time, since dynamic quantisation makes a vector depend on its batch.
Usage: python scripts/encoder_options.py [--rows N] [--rounds R] [--skip-int8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.engine.model_store import MODEL_DIRNAME
from classifier.engine.normalise import normalise
from classifier.engine.onnx_model import ONNX_FILE, OnnxEncoder, load_tokenizer, model_prompts, onnx_dir, open_session
from classifier.settings import PROJECT_ROOT, Settings

RESULTS = PROJECT_ROOT / "bench" / "results"


def _torch(model_dir: Path, max_seq_length: int, threads: int | None = None):
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    model.max_seq_length = max_seq_length
    prompt = model.prompts["query"]

    def encode(texts, batch_size=16):
        before = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            return model.encode([prompt + t for t in texts], batch_size=batch_size, normalize_embeddings=True,
                                show_progress_bar=False)
        finally:
            torch.set_num_threads(before)
    return encode


def _onnx(path: Path, model_dir: Path):
    session = open_session(path)
    tokenizer = load_tokenizer(model_dir)
    prompt = model_prompts(model_dir).get("query", "")
    return lambda texts, batch_size=16: OnnxEncoder.run(session, tokenizer, [prompt + t for t in texts], batch_size)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-int8", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    model_dir = settings.cache_dir / MODEL_DIRNAME
    exported = onnx_dir(settings.cache_dir) / ONNX_FILE
    dev = pd.read_csv(settings.dev_eval_path, dtype=str, keep_default_na=False)
    texts = [normalise(t) for t in dev["text"].tolist()][:args.rows]

    options = {
        "torch (msl 256, batch 16)": _torch(model_dir, 256),
        "torch (msl 128)": _torch(model_dir, 128),
        "torch (1 thread)": _torch(model_dir, 256, threads=1),
        "onnx fp32 (default)": _onnx(exported, model_dir),
    }
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            int8 = Path(tmp) / "int8.onnx"
            print("quantising the export to int8 …", file=sys.stderr)
            quantize_dynamic(str(exported), str(int8), weight_type=QuantType.QInt8, per_channel=True)
            options["onnx int8 dynamic"] = _onnx(int8, model_dir)
        reference = options["torch (msl 256, batch 16)"](texts)
        times: dict[str, list[float]] = {name: [] for name in options}
        for _ in range(args.rounds):
            for name, encode in options.items():
                encode(texts[:2])
                t0 = time.perf_counter()
                encode(texts)
                times[name].append(time.perf_counter() - t0)
        result = {}
        base = statistics.median(times["torch (msl 256, batch 16)"])
        for name, encode in options.items():
            batched = np.sum(encode(texts) * reference, axis=1)
            single = np.sum(np.vstack([encode([t], 1) for t in texts[:24]]) * reference[:24], axis=1)
            median = statistics.median(times[name])
            result[name] = {"texts_per_s": round(len(texts) / median, 1), "ratio_to_torch": round(base / median, 2),
                            "cosine_batched_min": round(float(batched.min()), 4),
                            "cosine_one_at_a_time_min": round(float(single.min()), 4)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoder_options.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'option':<28}{'texts/s':>9}{'× torch':>9}{'cos batch':>11}{'cos single':>12}")
    for name, r in result.items():
        print(f"{name:<28}{r['texts_per_s']:>9.1f}{r['ratio_to_torch']:>9.2f}"
              f"{r['cosine_batched_min']:>11.4f}{r['cosine_one_at_a_time_min']:>12.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
