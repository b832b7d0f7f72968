"""The `Classifier` facade: text → normalise → dense + lexical features → rank (neighbours + head)
→ rules and ruling detectors → explain."""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import sparse

from classifier.engine import alternatives, artifacts
from classifier.engine.application_form import load_notes
from classifier.engine.cascade import NEVER, OutOfFold, StyleRouter, accepts, choose_threshold
from classifier.engine.detectors import DetectorSpec, RulingDetectors, choose_band, load_specs
from classifier.engine.embedding import Encoder, fingerprint_of
from classifier.engine.explain import ItemVocabulary, matched_terms, original_spans, top_precedents
from classifier.engine.head import ItemHead, blend
from classifier.engine.index import (
    Features,
    RankerConfig,
    cross_validate,
    cv_folds,
    data_inputs,
    default_encoder,
    encode_references,
    is_training_row,
    review_threshold,
    tokenizer_words,
)
from classifier.engine.lexical import Tokenizer, make_vectorizer
from classifier.engine.normalise import normalise
from classifier.engine.prediction_cache import PredictionCache
from classifier.engine.ranker import ConfidenceCalibrator, NeighbourRanker, softmax
from classifier.engine.reviewed import ReviewedDecisions
from classifier.engine.rules import RuleSet, claimed_codes, verdict_of
from classifier.engine.static_model import StaticEncoder, distill
from classifier.errors import ArtifactError, InputError
from classifier.records import Contrast, Example, Precedent, Prediction, RuleHit, Ruling, Service, Suggestion
from classifier.settings import Settings
from classifier.taxonomy.loaders import (
    Taxonomy,
    faq_precedents,
    load_examples,
    load_faq,
    load_taxonomy,
    read_csv_str,
)
from classifier.taxonomy.references import Reference, build_references

Progress = Callable[[str], None]
# "auto": the first pass answers what it is sure of and the full model the rest; "full": the full
# model answers every row; "first_pass": the first pass answers every row (for measurements);
# "quick": the first pass answers every row, and the rows "auto" would hand to the full model are
# flagged ``full_model_pending`` for review instead (triage in minutes; see ``Classifier.quick``).
PATHS = ("auto", "full", "first_pass", "quick")
PENDING = "full_model_pending"
# Training rows written in the styles users bring (news, case studies…), as opposed to team style.
REAL_STYLE_SOURCES = ("real", "ruling")
_SEP = "\x1f"  # joins the saved words of one reference text
# Sentences of a description, for naming the one that made a ruling detector fire.
_SENTENCE = re.compile(r"(?<=[。；;!?！？\n])|(?<=[.!?] )")


def check_text(text: object, max_chars: int) -> tuple[str, bool]:
    """Normalised text and whether it was cut, or InputError for text that cannot be classified."""
    if isinstance(text, str):
        return _check_str(text, max_chars)
    if text is None or (isinstance(text, float) and math.isnan(text)):
        raise InputError("Expected a product description; found an empty value. Type a description of the product or service.",
                         reason="empty_text")
    raise InputError(f"Expected the description as text; found {type(text).__name__}.", reason="not_text",
                     found=type(text).__name__)


def _has_two_letters(text: str) -> bool:
    seen = 0
    for ch in text:
        if ch.isalpha():
            seen += 1
            if seen == 2:
                return True
    return False


@lru_cache(maxsize=8192)  # a batch checks each text, then classify_many checks it again
def _check_str(text: str, max_chars: int) -> tuple[str, bool]:
    cleaned = normalise(text)
    if not _has_two_letters(cleaned):  # a description has words; digits or one stray letter do not count
        raise InputError(
            "Expected a product description with words in it; found "
            + ("an empty text" if not cleaned else f"only symbols or numbers ({cleaned[:20]!r})")
            + ". Describe what the product or service does.",
            reason="empty_text" if not cleaned else "symbols_only",
        )
    if len(cleaned) > max_chars:
        return cleaned[:max_chars], True
    return cleaned, False


@dataclass(frozen=True)
class Scored:
    """Everything the ranking step knows about a batch of normalised descriptions."""

    dense: np.ndarray
    X: sparse.csr_matrix  # hybrid features
    sims: np.ndarray  # (n, references): hybrid similarity to each reference
    scores: np.ndarray  # (n, classes): neighbour-ranker scores
    probs: np.ndarray  # (n, classes): ranker softmax blended with the head


def _same_vectorizer(a, b) -> bool:
    return (getattr(a, "vocabulary_", None) == getattr(b, "vocabulary_", None)
            and np.array_equal(getattr(a, "idf_", None), getattr(b, "idf_", None)))


def first_pass_record(first: Classifier, threshold: float, style: StyleRouter | None) -> dict:
    """What the manifest says about the first pass: its model's identity and hash, and its threshold."""
    static = first.features.encoder
    return {"model": static.name, "sha256": static.sha256(), "teacher": static.teacher, "words": len(static.words),
            "dims": int(static.vectors.shape[1]), "ridge": first.config.first_pass_ridge, "threshold": threshold,
            "cv_top1": first.manifest.get("cv_top1"),
            "style_router_cv": style.cv_ if style is not None else None}


def training_examples(settings: Settings, taxonomy: Taxonomy) -> tuple[Example, ...]:
    """The labelled rows the index learns from: team-style examples, real-style rows, detector rows.

    A detector row that its writer marked as a positive of a family carries ``family:NAME`` among
    its rule ids, so that family's detector learns from it whatever ruling the row's verdict cites
    (a GPS tracker is a ``no_ai_method`` verdict and a ``sensor_physics`` positive)."""
    examples = load_examples(settings.examples_path, taxonomy)
    if settings.real_train_path.is_file():
        examples += load_examples(settings.real_train_path, taxonomy, source="real")
    if settings.ruling_examples_path.is_file():
        rows = load_examples(settings.ruling_examples_path, taxonomy, source="ruling")
        marks = read_csv_str(settings.ruling_examples_path, ("id", "family", "label"))
        positive = {r.id: r.family for r in marks.itertuples(index=False) if r.label == "1"}
        examples += tuple(replace(e, rule_ids=(*e.rule_ids, f"family:{positive[e.id]}")) if e.id in positive else e
                          for e in rows)
    return examples


class Classifier:
    """Suggest the best sub-item for a product description, with reasons and an eligibility verdict.

    Build once with :meth:`build` (or ``python -m classifier build``), then :meth:`load` and call
    :meth:`classify` or :meth:`classify_many`. An instance is read-only after construction, so one
    instance can serve many threads (the Streamlit page shares one across sessions).
    """

    def __init__(self, *, taxonomy: Taxonomy, rules: RuleSet, references: list[Reference],
                 features: Features, ranker: NeighbourRanker, calibrator: ConfidenceCalibrator,
                 config: RankerConfig, head: ItemHead | None = None, head_blend: float = 0.0,
                 detectors: RulingDetectors | None = None, specs: tuple[DetectorSpec, ...] = (),
                 rulings: tuple[Ruling, ...] = (), notes: tuple = (),
                 reviewed: ReviewedDecisions | None = None, review_confidence: float | None = None,
                 detector_band: float | None = None, manifest: dict | None = None,
                 first_pass: Classifier | None = None, first_pass_threshold: float = NEVER,
                 reference_words: dict[str, frozenset[str]] | None = None):
        self.taxonomy = taxonomy
        self.first_pass = first_pass
        self.first_pass_threshold = first_pass_threshold
        self.default_path = "auto"  # the path classify_many takes when none is given
        self.oof: OutOfFold | None = None  # set by build, for choosing the first pass's threshold
        self.style: StyleRouter | None = None
        self.cache = PredictionCache(str((manifest or {}).get("index_sha256", "")) or f"unsaved-{id(self)}")
        self.review_confidence = config.review_confidence if review_confidence is None else review_confidence
        self.detector_band = config.detector_band if detector_band is None else detector_band
        self.reviewed = reviewed or ReviewedDecisions.empty()
        self.rulings = rulings
        self.notes = notes
        self.rules = rules
        self.references = references
        self.features = features
        self.ranker = ranker
        self.head = head
        self.head_blend = head_blend
        self.detectors = detectors
        self.specs = {s.family: s for s in specs}
        self.calibrator = calibrator
        self.config = config
        self.manifest = manifest or {}
        self.tokenizer: Tokenizer = features.vectorizer.analyzer
        self._vocab = {item.code: ItemVocabulary.of(item, self.tokenizer) for item in taxonomy.items}
        # The embedding columns lead the hybrid matrix; the rest are the TF-IDF vocabulary.
        ranker.split_dense(ranker.index_.shape[1] - len(getattr(features.vectorizer, "vocabulary_", {})))
        self._rows_by_code = {
            code: np.flatnonzero(ranker.labels_ == i) for i, code in enumerate(ranker.classes_)
        }
        self._known = set(taxonomy.codes)
        # Reference texts are a fixed set: their words are segmented once, at build, and saved.
        self._segmented = dict(reference_words or {})
        self._segment = lru_cache(maxsize=8192)(lambda text: frozenset(self.tokenizer.words(normalise(text))))

    # ----------------------------------------------------------------- build / load
    @classmethod
    def build(cls, settings: Settings | None = None, *, encoder: Encoder | None = None,
              config: RankerConfig | None = None, extra_examples: Sequence[Example] = (),
              provenance: dict | None = None, progress: Progress | None = None,
              reference_vectors: np.ndarray | None = None) -> Classifier:
        """Fit the index from the data files; ``extra_examples`` are approved reviewer decisions.

        Decisions form their own layer: a description that (nearly) repeats a reviewed one takes
        the reviewer's answer, and nothing else changes, because the ranker, its TF-IDF vocabulary,
        the head, the detectors and the calibration are fitted on the data files alone.
        ``provenance`` says where the decisions came from and goes into the manifest.
        ``reference_vectors`` stand in for encoding the references (the first pass's held-out vectors).
        """
        settings = settings or Settings.from_env()
        say = progress or (lambda _m: None)
        config = config or RankerConfig.load(settings.data_dir / "ranker.json")
        taxonomy = load_taxonomy(settings.taxonomy_path, expected=settings.expected_items)
        rulings = load_faq(settings.faq_path, taxonomy)
        rules = RuleSet.load(settings.rules_path, set(taxonomy.codes))
        examples = training_examples(settings, taxonomy)
        references = build_references(taxonomy, faq_precedents(settings.faq_path), examples)
        encoder = encoder or default_encoder(settings, fetch=True)
        texts = [normalise(r.text) for r in references]
        if reference_vectors is None:
            say(f"encoding {len(references)} reference texts with {encoder.name}")
            dense = encode_references(encoder, references, texts)
        else:
            dense = reference_vectors
        tokenizer = Tokenizer(tokenizer_words(taxonomy))
        vectorizer = make_vectorizer(tokenizer).fit(texts)
        features = Features(encoder, vectorizer, config.dense_weight, config.lexical_weight)
        X = features.combine(dense, vectorizer.transform(texts))
        labels = np.array([r.code for r in references], dtype=object)
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(X, labels)
        say("choosing the head and calibrating confidence with cross-validation over the training rows")
        cv = cross_validate(references, dense, texts, tokenizer, config)
        head_c, head_weight, cv_top1 = cv.choose(config) if cv else (config.head_c[0], 0.0, None)
        head = ItemHead(head_c).fit(dense, labels, ranker.classes_) if head_weight > 0 else None
        review_confidence = config.review_confidence
        if cv:
            raw_top, correct = cv.top1(head_c, head_weight)
            calibrator = ConfidenceCalibrator().fit(raw_top, correct)
            real_style = np.array([references[i].source in REAL_STYLE_SOURCES for i in cv.rows])
            judged = real_style if real_style.sum() >= 50 else np.ones(len(cv.rows), dtype=bool)
            review_confidence = review_threshold(calibrator.transform(raw_top[judged]), correct[judged],
                                                 config.review_precision, config.review_confidence)
            oof = OutOfFold(rows=cv.rows, correct=correct.astype(bool), confidence=calibrator.transform(raw_top),
                            real_style=real_style)
        else:
            calibrator = ConfidenceCalibrator().fit(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
            oof = None
        specs = load_specs(settings.detectors_path) if settings.detectors_path.is_file() else ()
        say("training the ruling detectors")
        train_rows = [i for i, r in enumerate(references) if is_training_row(r)]
        by_ref = {(e.source, e.id): e for e in examples}
        train_examples = [by_ref[(references[i].source, references[i].ref)] for i in train_rows]
        detectors = RulingDetectors().fit(dense[train_rows], train_examples, specs) if specs else None
        detector_band = config.detector_band
        if detectors is not None and detectors.families_:
            real_rows = np.array([i for i, e in enumerate(train_examples) if e.source == "real"])
            if len(real_rows) >= 50:
                ratio = detectors.oof_ratio(len(train_examples))[real_rows]
                eligible = np.array([train_examples[i].verdict == "eligible" for i in real_rows])
                detector_band = choose_band(ratio, eligible, config.review_precision)
        reviewed = ReviewedDecisions.build(tuple(extra_examples), features, config.reviewed_match)
        built = cls(taxonomy=taxonomy, rules=rules, references=references, features=features, ranker=ranker,
                   calibrator=calibrator, config=config, head=head, head_blend=head_weight, detectors=detectors,
                   specs=specs, rulings=rulings, notes=load_notes(settings.notes_path), reviewed=reviewed,
                   review_confidence=review_confidence, detector_band=detector_band,
                   manifest={"model": encoder.name, "cv_top1": cv_top1, "review_confidence": review_confidence,
                             "detector_band": detector_band,
                             "head": {"C": head_c, "blend": head_weight},
                             "detectors_cv": detectors.cv_ if detectors else {},
                             "decisions": provenance or {"count": 0, "fingerprint": ""}})
        built.oof = oof
        if config.first_pass:
            say("distilling the first pass's word vectors from the model (once; cached afterwards)")
            static, held_out = distill(encoder, texts, tokenizer, dense, cv_folds(references, config.cv_folds),
                                       ridge=config.first_pass_ridge)
            say(f"building the first pass ({len(static.words)} words, {static.vectors.shape[1]} dimensions)")
            first = cls.build(settings, encoder=static, config=replace(config, first_pass=False),
                              extra_examples=extra_examples, provenance=provenance, progress=progress,
                              reference_vectors=held_out)
            threshold = choose_threshold(first.oof, oof, config.first_pass_tolerance) if first.oof and oof else NEVER
            built.first_pass, built.first_pass_threshold = first, threshold
            built.style = StyleRouter.fit(first.ranker.index_[train_rows],
                                          [references[i].source in REAL_STYLE_SOURCES for i in train_rows])
            built.manifest["first_pass"] = first_pass_record(first, threshold, built.style)
        return built

    def _state(self) -> dict:
        return {
            "references": [asdict(r) for r in self.references],
            "index": self.ranker.index_, "labels": list(self.ranker.classes_[self.ranker.labels_]),
            "vectorizer": self.features.vectorizer, "calibrator": self.calibrator,
            "config": asdict(self.config), "head": self.head, "head_blend": self.head_blend,
            "detectors": self.detectors, "review_confidence": self.review_confidence,
            "detector_band": self.detector_band,
            "reviewed": self.reviewed.state(),
            # One joined string per reference: joblib unpickles in pure Python, and a hundred thousand
            # small strings would add seconds to every cold start.
            "reference_words": {r.text: _SEP.join(sorted(self._segmented.get(r.text) or self._segment(r.text)))
                                for r in self.references},
        }

    def save(self, settings: Settings | None = None) -> dict:
        settings = settings or Settings.from_env()
        state = self._state()
        extra = {
            "taxonomy_version": self.taxonomy.version,
            "counts": {"references": len(self.references), "items": len(self.taxonomy.items), "rules": len(self.rules)},
            "config": asdict(self.config),
            **{k: self.manifest.get(k) for k in ("cv_top1", "head", "detectors_cv")},
            "review_confidence": self.review_confidence, "detector_band": self.detector_band,
            "decisions": self.manifest.get("decisions", {"count": 0, "fingerprint": ""}),
        }
        encoder = self.features.encoder
        extra["model_fingerprint"] = fingerprint_of(encoder)
        if self.first_pass is not None:
            first_state = self.first_pass._state()
            first_state.pop("reference_words")  # the same references: loaded once, shared
            if _same_vectorizer(first_state["vectorizer"], self.features.vectorizer):
                first_state["vectorizer"] = None
            state["first_pass"] = {"state": first_state, "encoder": self.first_pass.features.encoder,
                                   "threshold": self.first_pass_threshold, "style": self.style}
            extra["first_pass"] = first_pass_record(self.first_pass, self.first_pass_threshold, self.style)
        self.manifest = artifacts.save(state, settings.models_dir, model=encoder.name,
                                       inputs=data_inputs(settings), extra=extra)
        return self.manifest

    @classmethod
    def load(cls, settings: Settings | None = None, *, encoder: Encoder | None = None) -> Classifier:
        """Load the built index; refuse it when stale or damaged, naming the rebuild command."""
        settings = settings or Settings.from_env()
        manifest = artifacts.read_manifest(settings.models_dir)
        encoder = encoder or default_encoder(settings, manifest.get("model"))
        state, manifest = artifacts.load(settings.models_dir, model=encoder.name, inputs=data_inputs(settings),
                                         fingerprint=fingerprint_of(encoder))
        taxonomy = load_taxonomy(settings.taxonomy_path, expected=settings.expected_items)
        shared = {"taxonomy": taxonomy, "rulings": load_faq(settings.faq_path, taxonomy),
                  "rules": RuleSet.load(settings.rules_path, set(taxonomy.codes)),
                  "specs": load_specs(settings.detectors_path) if settings.detectors_path.is_file() else (),
                  "notes": load_notes(settings.notes_path)}
        clf = cls._from_state(state, encoder, manifest, shared)
        first = state.get("first_pass")
        if first is not None:
            static = first["encoder"]
            recorded = manifest.get("first_pass", {}).get("sha256")
            if not isinstance(static, StaticEncoder) or static.sha256() != recorded:
                raise ArtifactError(
                    f"The first pass in {settings.models_dir} does not match its manifest (expected sha256 {recorded}); "
                    f"it is damaged and will not be used. Run `{artifacts.REBUILD}` to rebuild it.")
            # The passes share what build made identical: the TF-IDF vocabulary (saved once) and one
            # jieba instance with the same dictionary (each costs ~1 s to start).
            if first["state"]["vectorizer"] is None:
                first["state"]["vectorizer"] = clf.features.vectorizer
            if first["state"]["vectorizer"].analyzer.user_words == clf.tokenizer.user_words:
                first["state"]["vectorizer"].analyzer = static.tokenizer = clf.tokenizer
            clf.first_pass = cls._from_state(first["state"], static, {"model": static.name}, shared, clf._segmented)
            clf.first_pass_threshold = float(first["threshold"])
            clf.style = first.get("style")
        clf.cache = PredictionCache(str(manifest.get("index_sha256", "")), settings.cache_dir / "predictions.sqlite")
        return clf

    @classmethod
    def _from_state(cls, state: dict, encoder: Encoder, manifest: dict, shared: dict,
                    reference_words: dict[str, frozenset[str]] | None = None) -> Classifier:
        config = RankerConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in state["config"].items()})
        references = [Reference(**r) for r in state["references"]]
        if reference_words is None:
            reference_words = {text: frozenset(filter(None, joined.split(_SEP)))
                               for text, joined in state.get("reference_words", {}).items()}
        features = Features(encoder, state["vectorizer"], config.dense_weight, config.lexical_weight)
        ranker = NeighbourRanker(config.per_class, config.decay, config.temperature).fit(state["index"], state["labels"])
        return cls(references=references, features=features, ranker=ranker,
                   calibrator=state["calibrator"], config=config, head=state.get("head"),
                   head_blend=state.get("head_blend", 0.0), detectors=state.get("detectors"),
                   reviewed=ReviewedDecisions.from_state(state.get("reviewed"), config.reviewed_match),
                   review_confidence=state.get("review_confidence"), detector_band=state.get("detector_band"),
                   manifest=manifest, reference_words=reference_words, **shared)

    def with_encoder(self, encoder: Encoder) -> Classifier:
        """The same index served through another encoder (e.g. uncached, or the torch path), for
        measurements; the instance itself stays read-only. The copy keeps no answers between calls."""
        clone = copy.copy(self)
        clone.features = Features(encoder, self.features.vectorizer, self.features.dense_weight,
                                  self.features.lexical_weight)
        clone.cache = None
        return clone

    def without_first_pass(self) -> Classifier:
        """The same index with the full model answering every row (``--full-model``); its stored
        answers are kept apart from the default path's."""
        clone = copy.copy(self)
        clone.first_pass = None
        if self.cache is not None:
            clone.cache = PredictionCache(self.cache.identity + "|full-model", self.cache.path)
        return clone

    def quick(self) -> Classifier:
        """The same index answering every row with the first pass (``--quick``, the page's quick
        mode): a row the default path would hand to the full model keeps the first pass's answer,
        flagged ``full_model_pending`` for review. The rows it leaves unflagged are exactly the ones
        the default path answers with the first pass, so a registry is triaged in minutes and
        nothing unsure passes without review."""
        if self.first_pass is None:
            raise ValueError("Expected an index with a first pass for quick mode; found none. "
                             "Rebuild it with `python -m classifier build`.")
        clone = copy.copy(self)
        clone.default_path = "quick"
        return clone

    # ----------------------------------------------------------------- classify
    def classify(self, text: str, *, top_k: int | None = None, path: str | None = None) -> Prediction:
        """Classify one description; raises InputError when it cannot be classified."""
        return self.classify_many([text], top_k=top_k, path=path)[0]

    def classify_many(self, texts: Sequence[str], *, top_k: int | None = None, batch_size: int = 64,
                      progress: Callable[[int], None] | None = None, path: str | None = None) -> list[Prediction]:
        """Classify many descriptions in order; raises InputError naming the first bad position.

        Each distinct normalised text is classified once, and an answer given before (by this index,
        on this path) is reused. ``path`` is one of PATHS (default: this instance's, "auto" unless
        made by ``quick``); every prediction records which answered it.
        """
        path = path or self.default_path
        if path not in PATHS:
            raise ValueError(f"Expected path to be one of {PATHS}; found {path!r}.")
        prepared = []
        for position, text in enumerate(texts):
            try:
                prepared.append(check_text(text, self.config.max_chars))
            except InputError as exc:
                if len(texts) == 1:
                    raise
                raise InputError(f"Row {position}: {exc}", reason=exc.reason, row=position) from exc
        k = top_k or self.config.top_k
        cache = self.cache
        keys = [cache.key(path, k, norm) if cache else norm for norm, _t in prepared]
        answers = cache.get_many(keys) if cache else {}
        rows_of = Counter(norm for (norm, _t), key in zip(prepared, keys) if key not in answers)
        todo = list(rows_of)
        if progress and len(todo) < len(prepared):
            progress(len(prepared) - rows_of.total())
        computed: dict[str, Prediction] = {}
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            computed.update(zip(chunk, self._answer(chunk, k, path)))
            if progress:
                progress(sum(rows_of[norm] for norm in chunk))
        fresh = {key: computed[norm] for (norm, _t), key in zip(prepared, keys) if norm in computed}
        if cache:
            cache.put_many(fresh)
        answers.update(fresh)
        return [self._in_users_words(answers[key], text, truncated)
                for text, (_n, truncated), key in zip(texts, prepared, keys)]

    def _answer(self, normalised: list[str], k: int, path: str) -> list[Prediction]:
        """Predictions for distinct normalised texts, matched terms still in normalised form."""
        if self.first_pass is None or path == "full":
            return self._predict_batch(normalised, k)[0]
        answers, scored = self.first_pass._predict_batch(normalised, k)
        first = [replace(p, answered_by="first_pass") for p in answers]
        if path == "first_pass":
            return first
        # The router reads the first pass's own features, already computed for its answers.
        real_style = self.style.is_real_style(scored.X) if self.style is not None \
            else np.zeros(len(normalised), dtype=bool)
        unsure = [i for i, p in enumerate(first) if real_style[i] or not accepts(p, self.first_pass_threshold)]
        if not unsure:
            return first
        if path == "quick":
            for i in unsure:
                first[i] = replace(first[i], needs_review=True, review_reasons=(*first[i].review_reasons, PENDING))
            return first
        for i, prediction in zip(unsure, self._predict_batch([normalised[i] for i in unsure], k)[0]):
            first[i] = prediction
        return first

    def _predict_batch(self, normalised: list[str], k: int) -> tuple[list[Prediction], Scored]:
        scored = self._score(normalised)
        matches = self.reviewed.matches(scored.X, self.config.dense_weight + self.config.lexical_weight)
        detector_hits = self._detector_hits(normalised, scored.dense)
        return [self._predict_one(norm, scored, i, k, matches[i], detector_hits[i])
                for i, norm in enumerate(normalised)], scored

    @staticmethod
    def _in_users_words(prediction: Prediction, text: str, truncated: bool) -> Prediction:
        """A stored answer for this user's text: matched terms as they spelled them (see original_spans)."""
        suggestions = tuple(replace(s, matched_terms=original_spans(text, s.matched_terms))
                            for s in prediction.suggestions)
        return replace(prediction, text=text, truncated=truncated, suggestions=suggestions)

    def _score(self, normalised: list[str]) -> Scored:
        """The one scoring step behind classify and contrast."""
        dense = self.features.encoder.encode(normalised, "query")
        X = self.features.combine(dense, self.features.vectorizer.transform(normalised))
        sims = self.ranker.similarities(X)
        scores = self.ranker.scores_from_similarities(sims)
        ranker_probs = softmax(scores, self.config.temperature)
        head_probs = self.head.predict_proba(dense) if self.head is not None else None
        return Scored(dense=dense, X=X, sims=sims, scores=scores, probs=blend(ranker_probs, head_probs, self.head_blend))

    def _detector_hits(self, normalised: list[str], dense: np.ndarray) -> list[tuple[list, list]]:
        """Per description: (families that fired, families near their threshold)."""
        if self.detectors is None or not self.detectors.families_:
            return [([], [])] * len(normalised)
        probs = self.detectors.predict_proba(dense)
        out = []
        for i in range(len(normalised)):
            fired, unsure = [], []
            for family, p in probs.items():
                threshold = self.detectors.thresholds_[family]
                if p[i] >= threshold:
                    fired.append((family, float(p[i])))
                elif p[i] >= threshold * self.detector_band:
                    unsure.append((family, float(p[i])))
            out.append((fired, unsure))
        return out

    def _trigger_sentences(self, norm: str, families: list[str]) -> dict[str, str]:
        """For each family, the sentence its detector scores highest: what made it fire. The sentences
        are encoded once, however many families fired."""
        sentences = [s.strip() for s in _SENTENCE.split(norm) if sum(ch.isalnum() for ch in s) >= 4]
        if len(sentences) < 2:
            return {family: norm[:160] for family in families}
        # The first pass's detectors point at the sentence just as well, without the model's cost.
        first = self.first_pass
        source = first if first is not None and first.detectors is not None and all(
            f in first.detectors.models_ for f in families) else self
        dense = source.features.encoder.encode(sentences, "query")
        probs = source.detectors.predict_proba(dense)
        return {family: sentences[int(np.argmax(probs[family]))][:160] for family in families}

    def _predict_one(self, norm, scored: Scored, i: int, k, reviewed=None, detected=((), ())) -> Prediction:
        classes = self.ranker.classes_
        probs, scores, sims = scored.probs[i], scored.scores[i], scored.sims[i]
        order = list(np.argsort(-probs, kind="stable"))
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
        fired, unsure = detected
        if reviewed is None:
            hits += self._detector_rule_hits(norm, fired, hits)
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
            top_suggestion = suggestions[0]
            cited = Precedent(source="decision", ref=decision.id, code=decision.code, text=decision.text,
                              similarity=round(similarity, 4), verdict=decision.verdict)
            # A reviewer already decided this description: their answer stands, with their record cited.
            suggestions[0] = replace(top_suggestion, confidence=max(top_suggestion.confidence, 0.99),
                                     precedents=(cited, *top_suggestion.precedents))
            reasons: tuple[str, ...] = ()
        else:
            reasons = self._review_reasons(suggestions, probs, order, verdict, redirect_hits, unsure)
        return Prediction(
            text=norm, normalised=norm, suggestions=tuple(suggestions), verdict=verdict,
            rule_hits=tuple(hits), needs_review=bool(reasons), review_reasons=reasons,
            follow_up=tuple(dict.fromkeys(h.question_zh for h in hits if h.question_zh)),
            scores={c: round(float(s), 4) for c, s in zip(classes, scores)},
        )

    def _detector_rule_hits(self, norm: str, fired, term_hits: list[RuleHit]) -> list[RuleHit]:
        """A detector that fires adds its conditional ruling, unless a term rule of its family spoke."""
        spoken = {h.rule_id for h in term_hits}
        specs = [self.specs[family] for family, _p in fired if family in self.specs]
        specs = [spec for spec in specs if not (spoken & set(spec.positive_rules) or spec.rule_id in spoken)]
        if not specs:
            return []
        triggers = self._trigger_sentences(norm, [spec.family for spec in specs])
        return [spec.hit(triggers[spec.family]) for spec in specs]

    def rule_hits_for(self, normalised: str, code: str) -> list[RuleHit]:
        """The term rulings that apply if this (normalised) description is filed under ``code``:
        for a code the assistant did not suggest, e.g. the one a registry row was registered under."""
        return self.rules.evaluate(normalised, code) + self.rules.redirects(normalised, (code,))

    def _calibration_scale(self, top_probability: float) -> float:
        """Factor that turns the blended probabilities into confidences calibrated at the top-1."""
        return float(self.calibrator.transform(top_probability)[0]) / max(float(top_probability), 1e-9)

    def _evidence(self, code: str, norm: str, query_words: list[str], sims: np.ndarray):
        """Matched terms (normalised) and nearest precedents of one item for one description."""
        precedents = top_precedents(sims, self._rows_by_code[code], self.references,
                                    scale=self.config.dense_weight + self.config.lexical_weight)
        precedent_words = set().union(*(self._segmented.get(p.text) or self._segment(p.text) for p in precedents))
        terms = matched_terms(norm, query_words, self._vocab[code], precedent_words)
        return terms, precedents

    # ----------------------------------------------------------------- explain more
    def contrast(self, text: str, code: str, *, path: str | None = None) -> Contrast:
        """Why not ``code``: its rank and score for this description, and what the text lacks for it,
        scored by the pass that answers the description, so they agree with the suggestions shown."""
        path = path or self.default_path
        if path != "full" and self.first_pass is not None \
                and self.classify(text, path=path).answered_by == "first_pass":
            return self.first_pass.contrast(text, code, path="full")
        return alternatives.contrast(self, text, code)

    def services(self, text: str, prediction: Prediction | None = None, *,
                 min_confidence: float = 0.5) -> tuple[Service, ...]:
        """Further services in a description that covers several (see alternatives.services)."""
        return alternatives.services(self, text, prediction, min_confidence=min_confidence)

    def rulings_for(self, code: str) -> tuple[Ruling, ...]:
        """FAQ rulings that name this item, or whose rules are scoped to it."""
        return alternatives.rulings_for(self, code)

    def ruling(self, faq: int) -> Ruling:
        return next(r for r in self.rulings if r.faq == faq)

    @property
    def versions(self) -> dict[str, str]:
        """What every output records: the model and index it came from, and the taxonomy version."""
        index = str(self.manifest.get("index_sha256", ""))[:12]
        model = self.manifest.get("model", self.features.encoder.name)
        return {"model_version": f"{model}@{index}" if index else model, "taxonomy_version": self.taxonomy.version}

    def _redirect_target(self, hit: RuleHit, classes, order) -> int | None:
        rule = self.rules.by_id(hit.rule_id)
        target = rule.redirect_to
        if target.startswith("category:"):
            prefix = target.split(":", 1)[1] + "."
            return next((i for i in order[1:] if classes[i].startswith(prefix)), None)
        positions = np.flatnonzero(classes == target)
        return int(positions[0]) if len(positions) else None

    def _review_reasons(self, suggestions, probs, order, verdict, redirect_hits, unsure=()) -> tuple[str, ...]:
        reasons = []
        if suggestions[0].confidence < self.review_confidence:
            reasons.append("low_confidence")
        if len(order) > 1 and suggestions[0].confidence - suggestions[1].confidence < self.config.review_margin:
            reasons.append("close_runner_up")
        if verdict == "conditional":
            reasons.append("conditional_verdict")
        if verdict == "ineligible":
            reasons.append("ineligible_verdict")  # nobody is turned away without a person confirming it
        if redirect_hits:
            reasons.append("redirected_by_rule")
        if unsure:
            reasons.append("ruling_uncertain")
        return tuple(reasons)
