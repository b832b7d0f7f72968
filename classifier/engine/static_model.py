"""The first pass's encoder: static word vectors distilled from the embedding model.

Each word of the corpus (jieba words seen at least twice, and every CJK character as the fallback
for words never seen) is encoded once, alone, by the full model — model2vec's recipe, restricted
to the vocabulary the references use, so it builds in about two minutes on two cores instead of
encoding the model's 262k tokens. The vectors are centred and reduced by PCA, and weighted by SIF
(rare words count more). A description is the weighted mean of its words' vectors: no network,
well under a millisecond a text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

import numpy as np

from classifier.engine.embedding import Encoder
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
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


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


def distill(teacher: Encoder, texts: list[str], tokenizer: Tokenizer, *, dims: int = 256,
            min_count: int = 2, sif: float = 1e-3) -> StaticEncoder:
    """Encode the corpus vocabulary with ``teacher``, centre, PCA to ``dims`` and SIF-weight it."""
    words, counts = vocabulary(texts, tokenizer, min_count)
    if not words:
        raise ValueError("Expected reference texts with words in them to distil a first-pass model; found none.")
    raw = np.asarray(teacher.encode(words, WORD_KIND), dtype=np.float64)
    centred = raw - raw.mean(axis=0)
    dims = min(dims, *centred.shape)
    # PCA by SVD: deterministic, and no fitted object to keep.
    _u, _s, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dims].T
    probability = counts / counts.sum()
    weighted = reduced * (sif / (sif + probability))[:, None]
    return StaticEncoder(words, weighted.astype(np.float32), tokenizer, getattr(teacher, "name", "teacher"))
