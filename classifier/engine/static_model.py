"""The first pass's encoder: static word vectors distilled from the embedding model.

Each word of the corpus (jieba words seen at least twice, and every CJK character as the fallback
for words never seen) is encoded once, alone, by the full model — model2vec's recipe, restricted
to the vocabulary the references use, so it builds in about two minutes on two cores instead of
encoding the model's 262k tokens — and weighted by SIF (rare words count more). The vectors are
then fitted so that a reference text's mean word vector comes close to the model's vector of the
whole text (tokenlearn's idea, on our own corpus, as one ridge regression). A description is the
mean of its words' vectors, in the model's own space: no network, well under a millisecond a text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from classifier.engine.embedding import Encoder, unit_rows
from classifier.engine.lexical import Tokenizer

# Words are encoded bare: no query or document prompt (the model's prompts are for sentences).
WORD_KIND = "word"
_CJK = range(0x3400, 0xA000)


class StaticEncoder:
    """Weighted mean of distilled word vectors, L2-normalised; unknown words fall back to their characters."""

    def __init__(self, words: Iterable[str], vectors: np.ndarray, tokenizer: Tokenizer, teacher: str):
        self.words = tuple(words)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(self.words) != len(self.vectors):
            raise ValueError(f"Expected one vector per word; found {len(self.words)} words and {len(self.vectors)} vectors.")
        self.tokenizer = tokenizer
        self.teacher = teacher
        self._position = {w: i for i, w in enumerate(self.words)}
        digest = hashlib.sha256("\x1f".join(self.words).encode("utf-8"))
        digest.update(self.vectors.tobytes())
        self._sha256 = digest.hexdigest()  # the object is immutable: hashed once, when made or loaded
        self.fingerprint = f"static-{self._sha256[:12]}"
        self.name = self.fingerprint

    def __getstate__(self):
        return {"words": self.words, "vectors": self.vectors, "tokenizer": self.tokenizer, "teacher": self.teacher}

    def __setstate__(self, state):
        self.__init__(state["words"], state["vectors"], state["tokenizer"], state["teacher"])

    def sha256(self) -> str:
        """The identity of the vectors and vocabulary: recorded in the manifest, checked on load."""
        return self._sha256

    def ids(self, text: str) -> list[int]:
        out = []
        for word in self.tokenizer.words(text):
            position = self._position.get(word)
            if position is not None:
                out.append(position)
            else:
                out.extend(self._position[ch] for ch in word if ch in self._position)
        return out

    def encode(self, texts: list[str], kind: str = "query") -> np.ndarray:
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.ids(text)
            if ids:
                out[row] = self.vectors[ids].mean(axis=0)
        return unit_rows(out)


def vocabulary(texts: Iterable[str], tokenizer: Tokenizer, min_count: int = 2) -> tuple[list[str], np.ndarray]:
    """Words seen at least ``min_count`` times, then every CJK character not already a word, with
    their corpus frequencies (for the SIF weights)."""
    words, chars = Counter(), Counter()
    for text in texts:
        words.update(tokenizer.words(text))
        chars.update(ch for ch in text if ord(ch) in _CJK)
    kept = sorted((w for w, n in words.items() if n >= min_count), key=lambda w: (-words[w], w))
    known = set(kept)
    kept += sorted((c for c in chars if c not in known), key=lambda c: (-chars[c], c))
    counts = np.array([words.get(w) or chars[w] for w in kept], dtype=np.float64)
    return kept, counts


def mean_matrix(static: StaticEncoder, texts: list[str]) -> sparse.csr_matrix:
    """Row i averages the word positions of ``texts[i]``: ``mean_matrix(...) @ vectors`` is ``encode``
    before normalising."""
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        ids = static.ids(text)
        if not ids:
            continue  # no known word: a zero row, as ``encode`` gives a zero vector
        rows += [row] * len(ids)
        cols += ids
        values += [1.0 / len(ids)] * len(ids)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), len(static.words)))


def fit_vectors(means: sparse.csr_matrix, prior: np.ndarray, targets: np.ndarray, ridge: float) -> np.ndarray:
    """Word vectors whose means come closest to ``targets``, kept near ``prior`` (ridge regression
    on the change, solved in its dual form: there are far fewer texts than words)."""
    guess = means @ prior
    scale = float((guess * targets).sum() / max((guess * guess).sum(), 1e-12))
    residual = targets - guess * scale
    gram = (means @ means.T).toarray()
    gram[np.diag_indices_from(gram)] += ridge
    return prior * scale + means.T @ np.linalg.solve(gram, residual)


def distill(teacher: Encoder, texts: list[str], tokenizer: Tokenizer, targets: np.ndarray,
            folds: Sequence[np.ndarray] = (), *, ridge: float = 0.03, min_count: int = 2,
            sif: float = 1e-3) -> tuple[StaticEncoder, np.ndarray]:
    """Word vectors distilled from ``teacher`` and fitted to its sentence vectors ``targets`` of ``texts``.

    Each vocabulary word is encoded alone by the teacher and SIF-weighted; that is the prior
    (model2vec's recipe). The vectors are then fitted so that a text's mean word vector comes close
    to the teacher's vector of the whole text (tokenlearn's idea, as a closed-form ridge regression).

    Returns the encoder, fitted on every text, and each text's vector as a model that never saw it
    would give it: for the texts of ``folds``, fitted without their fold; the other texts get the
    encoder's own vector. The first pass indexes those held-out vectors, so its cross-validation
    judges the same kind of vector a new description gets, not one fitted to itself.
    """
    words, counts = vocabulary(texts, tokenizer, min_count)
    if not words:
        raise ValueError("Expected reference texts with words in them to distil a first-pass model; found none.")
    if len(targets) != len(texts):
        raise ValueError(f"Expected one teacher vector per text; found {len(targets)} vectors for {len(texts)} texts.")
    raw = np.asarray(teacher.encode(words, WORD_KIND), dtype=np.float64)
    probability = counts / counts.sum()
    prior = raw * (sif / (sif + probability))[:, None]
    name = getattr(teacher, "name", "teacher")
    means = mean_matrix(StaticEncoder(words, prior, tokenizer, name), texts)
    targets = np.asarray(targets, dtype=np.float64)
    vectors = fit_vectors(means, prior, targets, ridge)
    held_out = unit_rows(np.asarray(means @ vectors))
    for held in folds:
        keep = np.setdiff1d(np.arange(len(texts)), held)
        fold_vectors = fit_vectors(means[keep], prior, targets[keep], ridge)
        held_out[held] = unit_rows(np.asarray(means[held] @ fold_vectors))
    return StaticEncoder(words, vectors.astype(np.float32), tokenizer, name), held_out.astype(np.float32)
