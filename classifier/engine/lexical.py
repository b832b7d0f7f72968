"""Lexical signal: jieba words (with the taxonomy's terms in its dictionary) plus CJK bigrams,
weighted by TF-IDF."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

# Bump when ``Tokenizer`` splits text differently: the manifest records it, so an index whose
# vocabulary came from another tokenizer is reported stale.
TOKENIZER_VERSION = "2"

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[a-z][a-z0-9+#\-]*[a-z0-9+#]|[a-z]")
_STOP = frozenset(
    "的 了 與 及 和 或 是 在 為 於 並 以 等 將 可 我們 我們的 公司 請問 可以 申請 哪一項 哪 項 一項 服務 提供 使用 透過 進行 相關 "
    "系統 平台 產品 客戶 技術 人工智慧 ai 解決方案 方案 功能 能力 利用 協助 導入 開發 應用 基於 一 個 這 此 其 該 "
    "the a an and or of to for with in on by our we is are be this that it as from at".split()
)


class Tokenizer:
    """jieba segmentation of normalised text; a private jieba instance so terms stay local."""

    def __init__(self, user_words: Iterable[str] = ()):
        self.user_words = tuple(sorted({w for w in user_words if len(w) >= 2}))
        self._jieba = None
        self._lock = threading.Lock()
        # Folds and repeated batches see the same texts again; segmenting is the slow part.
        self._cached_words = lru_cache(maxsize=50_000)(self._words)

    def __getstate__(self):
        return {"user_words": self.user_words}

    def __setstate__(self, state):
        self.__init__(state["user_words"])

    def _segmenter(self):
        with self._lock:
            if self._jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                seg = jieba.Tokenizer()
                seg.initialize()
                for word in self.user_words:
                    seg.add_word(word, freq=2000)
                self._jieba = seg
        return self._jieba

    def words(self, text: str) -> list[str]:
        """Content words: jieba tokens of two or more characters and Latin words."""
        return list(self._cached_words(text))

    def _words(self, text: str) -> tuple[str, ...]:
        out = []
        for token in _rejoin_latin(self._segmenter().lcut(text, HMM=True)):
            token = token.strip()
            if not token or token in _STOP:
                continue
            if _CJK_RUN.fullmatch(token):
                if len(token) >= 2:
                    out.append(token)
            else:
                out.extend(w for w in _LATIN.findall(token) if w not in _STOP)
        return tuple(out)

    def __call__(self, text: str) -> list[str]:
        tokens = self.words(text)
        for run in _CJK_RUN.findall(text):
            tokens.extend("#" + run[i:i + 2] for i in range(len(run) - 1))
        return tokens


def _rejoin_latin(tokens: list[str]) -> list[str]:
    """jieba's dictionary also holds Latin words (「ct」), so it can cut 「detect」 into 「dete」「ct」;
    tokens that meet letter to letter are one word again."""
    out: list[str] = []
    for token in tokens:
        if out and token and out[-1] and _ASCII_ALNUM.match(out[-1][-1]) and _ASCII_ALNUM.match(token[0]):
            out[-1] += token
        else:
            out.append(token)
    return out


_ASCII_ALNUM = re.compile(r"[a-z0-9]")


def make_vectorizer(tokenizer: Tokenizer) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=tokenizer, sublinear_tf=True, min_df=1, norm="l2", dtype=np.float64)
