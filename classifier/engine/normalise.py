"""Text normalisation shared by build time and query time.

Bump ``NORMALISER_VERSION`` whenever the output of ``normalise`` changes: the manifest records
it, so an index built with another version is reported stale.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NORMALISER_VERSION = "2"

_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACE = re.compile(r"\s+")
# NFKC maps full-width ASCII to half-width, but keeps CJK punctuation as it is; these are
# the full-width marks it leaves behind that vendors mix freely with ASCII ones.
_PUNCT = str.maketrans({"，": ",", "；": ";", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")", "、": ","})


@lru_cache(maxsize=8)  # three configurations are in use; a smaller cache rebuilds them (~25 ms each)
def _converter(*configs: str):
    import opencc  # deferred: nothing heavy happens at import time

    for config in configs:
        try:
            return opencc.OpenCC(config)
        except Exception:  # noqa: BLE001 - builds differ in which config names they accept
            continue
    raise RuntimeError(f"OpenCC has none of the configurations {configs}")


def to_traditional(text: str) -> str:
    """Simplified to Traditional Chinese with Taiwan phrasing (OpenCC s2twp), for Simplified text only.

    Traditional text is left as the user wrote it: s2twp's phrase table would otherwise rewrite
    Taiwanese words too (「導入」 deploy → 「匯入」 import data, 「數據」 → 「資料」)."""
    if _converter("s2t", "s2t.json").convert(text) == text:
        return text
    return _converter("s2twp", "s2twp.json", "s2tw", "s2tw.json").convert(text)


def to_simplified(text: str) -> str:
    """Traditional (Taiwan) to Simplified with phrases: finds a Simplified user's own spelling of a
    term that ``to_traditional`` rewrote (「軟體」 ← 「软件」)."""
    return _converter("tw2sp", "tw2sp.json", "t2s", "t2s.json").convert(text)


def normalise(text: str) -> str:
    """Canonical form of a description: NFKC width folding, Taiwan Traditional script,
    ASCII punctuation, no control characters, single spaces, lower-case Latin."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    text = text.translate(_PUNCT)
    text = to_traditional(text)
    text = _SPACE.sub(" ", text).strip()
    return text.lower()
