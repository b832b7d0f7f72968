"""Building the index: ranker settings, the hybrid feature space, reference encoding and
cross-validation over the examples. `Classifier.build` and `scripts/tune.py` both use it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from scipy import sparse

from classifier.engine.embedding import CachedEncoder, Encoder, HashingEncoder, SentenceTransformerEncoder
from classifier.engine.head import ItemHead, blend
from classifier.engine.lexical import Tokenizer, make_vectorizer
from classifier.engine.normalise import normalise
from classifier.engine.onnx_model import open_onnx_encoder
from classifier.engine.ranker import NeighbourRanker, softmax
from classifier.errors import DataFileError
from classifier.settings import ONNX_MODEL, Settings
from classifier.taxonomy.loaders import Taxonomy
from classifier.taxonomy.references import Reference


@dataclass(frozen=True)
class RankerConfig:
    """Ranking and review settings; the tuned values live in data/ranker.json."""

    dense_weight: float = 1.0
    lexical_weight: float = 0.3
    per_class: int = 2
    decay: float = 0.5
    temperature: float = 0.03
    review_confidence: float = 0.6
    review_margin: float = 0.01
    max_chars: int = 2000
    top_k: int = 5
    cv_folds: int = 5
    # A description this similar (hybrid similarity, 0…1) to a reviewed decision takes its answer.
    reviewed_match: float = 0.95
    # Candidates for the head's regularisation and its blend weight; cross-validation picks one each.
    head_c: tuple[float, ...] = (4.0,)
    head_blend: tuple[float, ...] = (0.0,)
    # A ruling detector this far below its threshold (as a share of it) still asks for review; build
    # chooses it by cross-validation when there are enough real-style rows (this is the fallback).
    detector_band: float = 0.6
    # Rows left without review should have the right item this often (out-of-fold, real-style rows);
    # build picks the lowest confidence threshold that reaches it (never below review_confidence).
    review_precision: float = 0.97
    # A first pass with static word vectors distilled from (and fitted to) the model answers the rows it is sure of;
    # build chooses its confidence threshold by cross-validation so that the cascade's out-of-fold
    # top-1 stays within ``first_pass_tolerance`` of the full model's (all rows and real-style rows).
    first_pass: bool = False
    first_pass_tolerance: float = 0.005
    # How far the first pass's word vectors may move from the distilled ones to fit the model's
    # sentence vectors of the references (ridge penalty; smaller fits closer).
    first_pass_ridge: float = 0.03

    @classmethod
    def load(cls, path: Path) -> RankerConfig:
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DataFileError(f"{path.name}: expected a JSON object of ranker settings; {exc}.") from exc
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"_comment"})
        if unknown:
            raise DataFileError(f"{path.name}: unknown settings {unknown}; expected some of {sorted(known)}.")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})


class Features:
    """Hybrid feature space: √w_d · dense embedding ⊕ √w_l · TF-IDF, each L2-normalised."""

    def __init__(self, encoder: Encoder, vectorizer, dense_weight: float, lexical_weight: float):
        self.encoder = encoder
        self.vectorizer = vectorizer
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight

    def combine(self, dense: np.ndarray, lexical) -> sparse.csr_matrix:
        return sparse.hstack([
            sparse.csr_matrix(dense * math.sqrt(self.dense_weight)),
            lexical * math.sqrt(self.lexical_weight),
        ]).tocsr()

    def transform(self, texts: list[str], kind: str) -> sparse.csr_matrix:
        return self.combine(self.encoder.encode(texts, kind), self.vectorizer.transform(texts))


def default_encoder(settings: Settings, model: str | None = None, *, fetch: bool = False) -> Encoder:
    """The configured encoder behind a text-hash cache; ``hashing-N`` names the fast stand-in."""
    name = model or settings.model
    if name.startswith("hashing-") and name[len("hashing-"):].isdigit():
        return HashingEncoder(int(name[len("hashing-"):]))
    if name == ONNX_MODEL:
        inner = open_onnx_encoder(name, settings.cache_dir, fetch=fetch)
    else:
        inner = SentenceTransformerEncoder(name, settings.cache_dir, fetch=fetch)
    return CachedEncoder(inner, settings.cache_dir / "embeddings.sqlite")


def tokenizer_words(taxonomy: Taxonomy) -> list[str]:
    words = []
    for item in taxonomy.items:
        for raw in (*item.keywords, *item.aliases, *item.name.split("/"), item.subcategory_name):
            words.append(normalise(raw))
    return words


def data_inputs(settings: Settings) -> dict[str, Path]:
    """The data files an index is built from; a change to any of them makes it stale."""
    inputs = {"taxonomy.csv": settings.taxonomy_path, "faq_examples.csv": settings.faq_path,
              "examples.csv": settings.examples_path}
    for path in (settings.real_train_path, settings.ruling_examples_path, settings.detectors_path):
        if path.is_file():
            inputs[path.name] = path
    return inputs


def encode_references(encoder: Encoder, references: list[Reference], texts: list[str]) -> np.ndarray:
    """Encode each reference with its own prompt, keeping the input order."""
    dense: np.ndarray | None = None
    for prompt in ("document", "query"):
        rows = [i for i, r in enumerate(references) if r.prompt == prompt]
        if not rows:
            continue
        vectors = encoder.encode([texts[i] for i in rows], prompt)
        if dense is None:
            dense = np.zeros((len(references), vectors.shape[1]), dtype=np.float32)
        dense[rows] = vectors
    return dense


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold probabilities for every training row (the examples, never a dev set)."""

    rows: np.ndarray  # reference positions that were held out
    y: np.ndarray  # their codes
    classes: np.ndarray
    ranker: np.ndarray  # (n, classes) ranker softmax
    head: dict[float, np.ndarray]  # C -> (n, classes) head probabilities

    def blended(self, c: float, weight: float) -> np.ndarray:
        return blend(self.ranker, self.head.get(c), weight)

    def choose(self, config: RankerConfig) -> tuple[float, float, float]:
        """(C, blend, top-1) with the best out-of-fold top-1; ties keep the simpler (lower) blend."""
        best = (config.head_c[0], 0.0, -1.0)
        for c in config.head_c:
            for weight in sorted(config.head_blend):
                top1 = float(np.mean(self.classes[self.blended(c, weight).argmax(axis=1)] == self.y))
                if top1 > best[2] + 1e-9:
                    best = (c, weight, top1)
        return best

    def top1(self, c: float, weight: float) -> tuple[np.ndarray, np.ndarray]:
        """Raw top-1 probability and whether it was right, for calibration."""
        probs = self.blended(c, weight)
        best = probs.argmax(axis=1)
        return probs[np.arange(len(best)), best], (self.classes[best] == self.y).astype(float)


def review_threshold(confidence: np.ndarray, correct: np.ndarray, target: float, floor: float) -> float:
    """The lowest confidence at or above which out-of-fold items are right at least ``target`` of the time."""
    for threshold in np.round(np.arange(floor, 0.991, 0.01), 2):
        accepted = confidence >= threshold
        if accepted.sum() >= 10 and correct[accepted].mean() >= target:
            return float(threshold)
    return 0.99


def is_training_row(reference: Reference) -> bool:
    return reference.source not in ("definition", "name", "faq")


def cv_folds(references: list[Reference], n_folds: int) -> list[np.ndarray]:
    """The held-out reference positions of each fold (training rows only); none if too few rows."""
    example_rows = np.array([i for i, r in enumerate(references) if is_training_row(r)])
    if len(example_rows) < n_folds * 2:
        return []
    rng = np.random.default_rng(0)
    return np.array_split(rng.permutation(example_rows), n_folds)


def cross_validate(references: list[Reference], dense: np.ndarray, texts: list[str],
                   tokenizer: Tokenizer, config: RankerConfig) -> CrossValidation | None:
    """Out-of-fold ranker and head probabilities for every training row.

    Definitions and FAQ precedents stay in every fold's index; each row is scored by an index
    (TF-IDF vocabulary and head included) that never saw it. Training rows carry the query prompt,
    so their vectors serve as queries as they are. Only the training files are used, never a dev set.
    """
    folds = cv_folds(references, config.cv_folds)
    if not folds:
        return None
    labels = np.array([r.code for r in references], dtype=object)
    held_all, ranker_parts, head_parts = [], [], {c: [] for c in config.head_c}
    classes = None
    for held in folds:
        keep = np.setdiff1d(np.arange(len(references)), held)
        vectorizer = make_vectorizer(tokenizer).fit([texts[i] for i in keep])
        features = Features(None, vectorizer, config.dense_weight, config.lexical_weight)
        index = features.combine(dense[keep], vectorizer.transform([texts[i] for i in keep]))
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(index, labels[keep])
        classes = ranker.classes_
        queries = features.combine(dense[held], vectorizer.transform([texts[i] for i in held]))
        ranker_parts.append(softmax(ranker.decision_function(queries), config.temperature))
        if any(w > 0 for w in config.head_blend):
            for c in config.head_c:
                head = ItemHead(c).fit(dense[keep], labels[keep], classes)
                head_parts[c].append(head.predict_proba(dense[held]))
        held_all.append(held)
    rows = np.concatenate(held_all)
    return CrossValidation(rows=rows, y=labels[rows], classes=classes, ranker=np.vstack(ranker_parts),
                           head={c: np.vstack(p) for c, p in head_parts.items() if p})
