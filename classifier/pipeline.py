"""The `Classifier` facade: text → normalise → dense + lexical features → rank → rules → explain."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from . import artifacts
from .embedding import CachedEncoder, Encoder, HashingEncoder, SentenceTransformerEncoder, fingerprint_of
from .errors import DataFileError, InputError
from .explain import ItemVocabulary, matched_terms, top_precedents
from .lexical import Tokenizer, make_vectorizer
from .normalise import normalise
from .onnx_model import open_onnx_encoder
from .ranker import ConfidenceCalibrator, NeighbourRanker, softmax
from .records import Contrast, Example, Precedent, Prediction, RuleHit, Ruling, Service, Suggestion
from .references import Reference, build_references
from .rules import RuleSet, claimed_codes, verdict_of
from .settings import ONNX_MODEL, Settings
from .summary import load_notes
from .taxonomy import Taxonomy, faq_precedents, load_examples, load_faq, load_taxonomy

Progress = Callable[[str], None]
# Passages of a description: sentences, and clauses that start another service.
_PASSAGE = re.compile(r"[。；;!?！？\n]+|(?:另外|此外|同時也|並且也|另一項|另一個|additionally|also,|in addition)")


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
        return cls(**{k: v for k, v in data.items() if k in known})


def check_text(text: object, max_chars: int) -> tuple[str, bool]:
    """Normalised text and whether it was cut, or InputError for text that cannot be classified."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        raise InputError("Expected a product description; found an empty value. Type a description of the product or service.",
                         reason="empty_text")
    if not isinstance(text, str):
        raise InputError(f"Expected the description as text; found {type(text).__name__}.", reason="not_text")
    cleaned = normalise(text)
    if sum(ch.isalpha() for ch in cleaned) < 2:  # a description has words; digits or one stray letter do not count
        raise InputError(
            "Expected a product description with words in it; found "
            + ("an empty text" if not cleaned else f"only symbols or numbers ({cleaned[:20]!r})")
            + ". Describe what the product or service does.",
            reason="empty_text" if not cleaned else "symbols_only",
        )
    if len(cleaned) > max_chars:
        return cleaned[:max_chars], True
    return cleaned, False


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


def _tokenizer_words(taxonomy: Taxonomy) -> list[str]:
    words = []
    for item in taxonomy.items:
        for raw in (*item.keywords, *item.aliases, *item.name.split("/"), item.subcategory_name):
            words.append(normalise(raw))
    return words


def _data_inputs(settings: Settings) -> dict[str, Path]:
    return {"taxonomy.csv": settings.taxonomy_path, "faq_examples.csv": settings.faq_path,
            "examples.csv": settings.examples_path}


class Classifier:
    """Suggest the best sub-item for a product description, with reasons and an eligibility verdict.

    Build once with :meth:`build` (or ``python -m classifier build``), then :meth:`load` and call
    :meth:`classify` or :meth:`classify_many`. An instance is read-only after construction, so one
    instance can serve many threads (the Streamlit page shares one across sessions).
    """

    def __init__(self, *, taxonomy: Taxonomy, rules: RuleSet, references: list[Reference],
                 features: Features, ranker: NeighbourRanker, calibrator: ConfidenceCalibrator,
                 config: RankerConfig, rulings: tuple[Ruling, ...] = (), notes: tuple = (),
                 reviewed: tuple[Example, ...] = (), reviewed_index=None, manifest: dict | None = None):
        self.taxonomy = taxonomy
        self.reviewed = reviewed
        self.reviewed_index = reviewed_index
        self.rulings = rulings
        self.notes = notes
        self.rules = rules
        self.references = references
        self.features = features
        self.ranker = ranker
        self.calibrator = calibrator
        self.config = config
        self.manifest = manifest or {}
        self.tokenizer: Tokenizer = features.vectorizer.analyzer
        self._vocab = {item.code: ItemVocabulary.of(item, self.tokenizer) for item in taxonomy.items}
        self._rows_by_code = {
            code: np.flatnonzero(ranker.labels_ == i) for i, code in enumerate(ranker.classes_)
        }
        self._known = set(taxonomy.codes)
        # Reference texts are a fixed set: segment each once, not once per suggestion.
        self._reference_words = lru_cache(maxsize=8192)(
            lambda text: frozenset(self.tokenizer.words(normalise(text))))

    # ----------------------------------------------------------------- build / load
    @classmethod
    def build(cls, settings: Settings | None = None, *, encoder: Encoder | None = None,
              config: RankerConfig | None = None, extra_examples: Sequence[Example] = (),
              provenance: dict | None = None, progress: Progress | None = None) -> Classifier:
        """Fit the index from the data files; ``extra_examples`` are approved reviewer decisions.

        Decisions form their own layer: a description that (nearly) repeats a reviewed one takes
        the reviewer's answer, and nothing else changes, because the ranker, its TF-IDF vocabulary
        and the calibration are fitted on the data files alone. ``provenance`` says where the
        decisions came from and goes into the manifest.
        """
        settings = settings or Settings.from_env()
        say = progress or (lambda _m: None)
        config = config or RankerConfig.load(settings.data_dir / "ranker.json")
        taxonomy = load_taxonomy(settings.taxonomy_path)
        rulings = load_faq(settings.faq_path, taxonomy)
        rules = RuleSet.load(settings.rules_path, set(taxonomy.codes))
        examples = load_examples(settings.examples_path, taxonomy)
        references = build_references(taxonomy, faq_precedents(settings.faq_path), examples)
        encoder = encoder or default_encoder(settings, fetch=True)
        say(f"encoding {len(references)} reference texts with {encoder.name}")
        texts = [normalise(r.text) for r in references]
        dense = encode_references(encoder, references, texts)
        tokenizer = Tokenizer(_tokenizer_words(taxonomy))
        vectorizer = make_vectorizer(tokenizer).fit(texts)
        features = Features(encoder, vectorizer, config.dense_weight, config.lexical_weight)
        X = features.combine(dense, vectorizer.transform(texts))
        labels = np.array([r.code for r in references], dtype=object)
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(X, labels)
        say("calibrating confidence with cross-validation over the examples")
        raw, correct = cross_validated_top1(references, dense, texts, tokenizer, config)
        calibrator = ConfidenceCalibrator().fit(raw, correct)
        reviewed = tuple(extra_examples)
        reviewed_index = features.transform([normalise(e.text) for e in reviewed], "query") if reviewed else None
        return cls(taxonomy=taxonomy, rules=rules, references=references, features=features, ranker=ranker,
                   calibrator=calibrator, config=config, rulings=rulings, notes=load_notes(settings.notes_path),
                   reviewed=reviewed, reviewed_index=reviewed_index,
                   manifest={"model": encoder.name, "cv_top1": float(np.mean(correct)) if len(correct) else None,
                             "decisions": provenance or {"count": 0, "fingerprint": ""}})

    def save(self, settings: Settings | None = None) -> dict:
        settings = settings or Settings.from_env()
        state = {
            "references": [asdict(r) for r in self.references],
            "index": self.ranker.index_, "labels": list(self.ranker.classes_[self.ranker.labels_]),
            "vectorizer": self.features.vectorizer, "calibrator": self.calibrator,
            "config": asdict(self.config),
            "reviewed": [asdict(e) for e in self.reviewed], "reviewed_index": self.reviewed_index,
        }
        extra = {
            "taxonomy_version": self.taxonomy.version,
            "counts": {"references": len(self.references), "items": len(self.taxonomy.items), "rules": len(self.rules)},
            "config": asdict(self.config),
            "cv_top1": self.manifest.get("cv_top1"),
            "decisions": self.manifest.get("decisions", {"count": 0, "fingerprint": ""}),
        }
        encoder = self.features.encoder
        extra["model_fingerprint"] = fingerprint_of(encoder)
        self.manifest = artifacts.save(state, settings.models_dir, model=encoder.name,
                                       inputs=_data_inputs(settings), extra=extra)
        return self.manifest

    @classmethod
    def load(cls, settings: Settings | None = None, *, encoder: Encoder | None = None) -> Classifier:
        """Load the built index; refuse it when stale or damaged, naming the rebuild command."""
        settings = settings or Settings.from_env()
        manifest = artifacts.read_manifest(settings.models_dir)
        encoder = encoder or default_encoder(settings, manifest.get("model"))
        state, manifest = artifacts.load(settings.models_dir, model=encoder.name, inputs=_data_inputs(settings),
                                         fingerprint=fingerprint_of(encoder))
        taxonomy = load_taxonomy(settings.taxonomy_path)
        rulings = load_faq(settings.faq_path, taxonomy)
        rules = RuleSet.load(settings.rules_path, set(taxonomy.codes))
        config = RankerConfig(**state["config"])
        references = [Reference(**r) for r in state["references"]]
        features = Features(encoder, state["vectorizer"], config.dense_weight, config.lexical_weight)
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(state["index"], state["labels"])
        reviewed = tuple(Example(**{**e, "rule_ids": tuple(e["rule_ids"])}) for e in state.get("reviewed", []))
        return cls(taxonomy=taxonomy, rules=rules, references=references, features=features, ranker=ranker,
                   calibrator=state["calibrator"], config=config, rulings=rulings,
                   notes=load_notes(settings.notes_path), reviewed=reviewed,
                   reviewed_index=state.get("reviewed_index"), manifest=manifest)

    # ----------------------------------------------------------------- classify
    def classify(self, text: str, *, top_k: int | None = None) -> Prediction:
        """Classify one description; raises InputError when it cannot be classified."""
        return self.classify_many([text], top_k=top_k)[0]

    def classify_many(self, texts: Sequence[str], *, top_k: int | None = None, batch_size: int = 64,
                      progress: Callable[[int], None] | None = None) -> list[Prediction]:
        """Classify many descriptions in order; raises InputError naming the first bad position."""
        prepared = []
        for position, text in enumerate(texts):
            try:
                prepared.append(check_text(text, self.config.max_chars))
            except InputError as exc:
                if len(texts) == 1:
                    raise
                raise InputError(f"Row {position}: {exc}", reason=exc.reason, row=position) from exc
        k = top_k or self.config.top_k
        out: list[Prediction] = []
        for start in range(0, len(prepared), batch_size):
            chunk = prepared[start:start + batch_size]
            normalised = [c[0] for c in chunk]
            X = self.features.transform(normalised, "query")
            sims = self.ranker.similarities(X)
            scores = self.ranker.scores_from_similarities(sims)
            probs = softmax(scores, self.config.temperature)
            matches = self._reviewed_matches(X)
            for i, (norm, truncated) in enumerate(chunk):
                out.append(self._predict_one(texts[start + i], norm, truncated, sims[i], scores[i], probs[i], k,
                                             matches[i]))
            if progress:
                progress(len(chunk))
        return out

    def _reviewed_matches(self, X) -> list[tuple[Example, float] | None]:
        """The reviewed decision each query repeats (similarity at or above reviewed_match), if any."""
        if not self.reviewed or self.reviewed_index is None:
            return [None] * X.shape[0]
        sims = (X @ self.reviewed_index.T).toarray() / (self.config.dense_weight + self.config.lexical_weight)
        best = sims.argmax(axis=1)
        return [(self.reviewed[j], float(sims[i, j])) if sims[i, j] >= self.config.reviewed_match else None
                for i, j in enumerate(best)]

    def _predict_one(self, text, norm, truncated, sims, scores, probs, k, reviewed=None) -> Prediction:
        classes = self.ranker.classes_
        order = list(np.argsort(-scores, kind="stable"))
        if reviewed is not None:
            position = int(np.flatnonzero(classes == reviewed[0].code)[0])
            order.remove(position)
            order.insert(0, position)
        first = classes[order[0]]
        redirect_hits = self.rules.redirects(norm, (first, *claimed_codes(norm, self._known)))
        for hit in redirect_hits:
            if reviewed is not None or not self.rules.applies_to(hit.rule_id, first):
                continue  # it explains why a claimed code is not suggested; the ranking stands
            target = self._redirect_target(hit, classes, order)
            if target is not None:
                order.remove(target)
                order.insert(0, target)
        top = classes[order[0]]
        hits = list(redirect_hits) + self.rules.evaluate(norm, top)
        verdict = verdict_of(hits) if reviewed is None else reviewed[0].verdict
        scale = self._calibration_scale(probs[order[0]])
        query_words = self.tokenizer.words(norm)
        suggestions = []
        for idx in order[:k]:
            code = classes[idx]
            item = self.taxonomy[code]
            terms, precedents = self._evidence(code, norm, query_words, sims)
            suggestions.append(Suggestion(
                code=code, name=item.name, path=item.path, score=round(float(scores[idx]), 4),
                confidence=round(min(1.0, float(probs[idx]) * scale), 4), definition=item.definition,
                matched_terms=terms, precedents=precedents,
            ))
        if reviewed is not None:
            decision, similarity = reviewed
            top = suggestions[0]
            cited = Precedent(source="decision", ref=decision.id, code=decision.code, text=decision.text,
                              similarity=round(similarity, 4))
            # A reviewer already decided this description: their answer stands, with their record cited.
            suggestions[0] = replace(top, confidence=max(top.confidence, 0.99), precedents=(cited, *top.precedents))
            reasons: tuple[str, ...] = ()
        else:
            reasons = self._review_reasons(suggestions, scores, order, verdict, redirect_hits)
        return Prediction(
            text=text, normalised=norm, suggestions=tuple(suggestions), verdict=verdict,
            rule_hits=tuple(hits), needs_review=bool(reasons), review_reasons=reasons,
            follow_up=tuple(dict.fromkeys(h.question_zh for h in hits if h.question_zh)),
            truncated=truncated, scores={c: round(float(s), 4) for c, s in zip(classes, scores)},
        )

    def _calibration_scale(self, top_probability: float) -> float:
        """Factor that turns the softmax probabilities into confidences calibrated at the top-1."""
        return float(self.calibrator.transform(top_probability)[0]) / max(float(top_probability), 1e-9)

    def _evidence(self, code: str, norm: str, query_words: list[str], sims: np.ndarray):
        """Matched terms and nearest precedents of one item for one description."""
        precedents = top_precedents(sims, self._rows_by_code[code], self.references,
                                    scale=self.config.dense_weight + self.config.lexical_weight)
        precedent_words = set().union(*(self._reference_words(p.text) for p in precedents))
        return matched_terms(norm, query_words, self._vocab[code], precedent_words), precedents

    # ----------------------------------------------------------------- explain more
    def contrast(self, text: str, code: str) -> Contrast:
        """Why not ``code``: its rank and score for this description, and what the text lacks for it."""
        if code not in self._known:
            raise InputError(f"Expected a sub-item code from taxonomy.csv; found {code!r}.", reason="unknown_code",
                             code=code)
        norm, _ = check_text(text, self.config.max_chars)
        sims = self.ranker.similarities(self.features.transform([norm], "query"))
        scores = self.ranker.scores_from_similarities(sims)[0]
        probs = softmax(scores[None, :], self.config.temperature)[0]
        order = list(np.argsort(-scores, kind="stable"))
        idx = int(np.flatnonzero(self.ranker.classes_ == code)[0])
        scale = self._calibration_scale(probs[order[0]])
        terms, precedents = self._evidence(code, norm, self.tokenizer.words(norm), sims[0])
        item = self.taxonomy[code]
        hits = self.rules.evaluate(norm, code) + self.rules.redirects(norm, (code,))
        return Contrast(
            code=code, name=item.name, path=item.path, rank=order.index(idx) + 1,
            score=round(float(scores[idx]), 4), confidence=round(min(1.0, float(probs[idx]) * scale), 4),
            gap=round(float(scores[order[0]] - scores[idx]), 4), definition=item.definition,
            matched_terms=terms, missing_terms=tuple(p for p in self._vocab[code].phrases if p not in norm)[:8],
            rule_hits=tuple(hits), precedents=precedents,
        )

    @property
    def versions(self) -> dict[str, str]:
        """What every output records: the model and index it came from, and the taxonomy version."""
        index = str(self.manifest.get("index_sha256", ""))[:12]
        model = self.manifest.get("model", self.features.encoder.name)
        return {"model_version": f"{model}@{index}" if index else model, "taxonomy_version": self.taxonomy.version}

    def services(self, text: str, prediction: Prediction | None = None, *,
                 min_confidence: float = 0.5) -> tuple[Service, ...]:
        """Further services in a description that covers several (e.g. an edge AI chip plus a
        smart-city application): the best item of each passage whose item differs from the headline."""
        prediction = prediction or self.classify(text)
        passages = [p.strip() for p in _PASSAGE.split(text) if sum(ch.isalnum() for ch in p) >= 8]
        if len(passages) < 2:
            return ()
        seen = {prediction.code}
        found = []
        for passage, part in zip(passages, self.classify_many(passages)):
            best = part.best
            if best.code in seen or best.confidence < min_confidence:
                continue
            seen.add(best.code)
            found.append(Service(passage=passage, suggestion=best, verdict=part.verdict, rule_hits=part.rule_hits))
        return tuple(found)

    def ruling(self, faq: int) -> Ruling:
        return next(r for r in self.rulings if r.faq == faq)

    def rulings_for(self, code: str) -> tuple[Ruling, ...]:
        """FAQ rulings that name this item, or whose rules are scoped to it."""
        return tuple(
            r for r in self.rulings
            if code in r.codes or any(self.rules.by_id(rid).when_codes and self.rules.applies_to(rid, code)
                                      for rid in r.rule_ids if rid in self.rules.ids)
        )

    def _redirect_target(self, hit: RuleHit, classes, order) -> int | None:
        rule = self.rules.by_id(hit.rule_id)
        target = rule.redirect_to
        if target.startswith("category:"):
            prefix = target.split(":", 1)[1] + "."
            return next((i for i in order[1:] if classes[i].startswith(prefix)), None)
        positions = np.flatnonzero(classes == target)
        return int(positions[0]) if len(positions) else None

    def _review_reasons(self, suggestions, scores, order, verdict, redirect_hits) -> tuple[str, ...]:
        reasons = []
        if suggestions[0].confidence < self.config.review_confidence:
            reasons.append("low_confidence")
        if len(order) > 1 and scores[order[0]] - scores[order[1]] < self.config.review_margin:
            reasons.append("close_runner_up")
        if verdict == "conditional":
            reasons.append("conditional_verdict")
        if redirect_hits:
            reasons.append("redirected_by_rule")
        return tuple(reasons)


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


def cross_validated_top1(references: list[Reference], dense: np.ndarray, texts: list[str],
                         tokenizer: Tokenizer, config: RankerConfig) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold raw top-1 probability and correctness for every example reference.

    Definitions and FAQ precedents stay in every fold's index; each example is scored by an index
    (and TF-IDF vocabulary) that never saw it. Examples carry the query prompt, so their vectors
    serve as queries as they are. Only the examples are used, never dev_eval.
    """
    example_rows = np.array([i for i, r in enumerate(references) if r.source not in ("definition", "name", "faq")])
    if len(example_rows) < config.cv_folds * 2:
        return np.array([]), np.array([])
    rng = np.random.default_rng(0)
    folds = np.array_split(rng.permutation(example_rows), config.cv_folds)
    labels = np.array([r.code for r in references], dtype=object)
    raw, correct = [], []
    for held in folds:
        keep = np.setdiff1d(np.arange(len(references)), held)
        vectorizer = make_vectorizer(tokenizer).fit([texts[i] for i in keep])
        features = Features(None, vectorizer, config.dense_weight, config.lexical_weight)
        index = features.combine(dense[keep], vectorizer.transform([texts[i] for i in keep]))
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(index, labels[keep])
        queries = features.combine(dense[held], vectorizer.transform([texts[i] for i in held]))
        probs = softmax(ranker.decision_function(queries), config.temperature)
        best = np.argmax(probs, axis=1)
        raw.extend(probs[np.arange(len(held)), best])
        correct.extend(ranker.classes_[best] == labels[held])
    return np.asarray(raw), np.asarray(correct, dtype=float)

