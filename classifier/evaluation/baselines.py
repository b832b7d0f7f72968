"""The two baselines the full system is measured against, on the same rows and in the same run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from classifier.engine.normalise import normalise
from classifier.engine.pipeline import Classifier, RankerConfig
from classifier.engine.ranker import softmax
from classifier.records import Prediction, Suggestion
from classifier.settings import Settings


class NoEmbedding:
    """A one-dimensional zero vector: the lexical baseline pays nothing for embeddings."""

    name = "none"

    def encode(self, texts, kind):
        return np.zeros((len(texts), 1), dtype=np.float32)


def lexical_only(settings: Settings) -> Classifier:
    """jieba + TF-IDF over the same references, with the same rules; no embeddings."""
    config = RankerConfig.load(settings.data_dir / "ranker.json")
    return Classifier.build(settings, encoder=NoEmbedding(), config=replace(config, dense_weight=0.0, lexical_weight=1.0))


def names_only(classifier: Classifier, texts: list[str]) -> list[Prediction]:
    """The embedding model against the 87 item names alone: no definitions, examples or rules."""
    encoder = classifier.features.encoder
    items = classifier.taxonomy.items
    names = encoder.encode([normalise(i.name) for i in items], "document")
    queries = encoder.encode([normalise(t) for t in texts], "query")
    sims = queries @ names.T
    probs = softmax(sims, 0.02)
    out = []
    for text, row, prob in zip(texts, sims, probs):
        order = np.argsort(-row, kind="stable")[:5]
        suggestions = tuple(Suggestion(code=items[i].code, name=items[i].name, path=items[i].path,
                                       score=float(row[i]), confidence=float(prob[i]), definition="")
                            for i in order)
        out.append(Prediction(text=text, normalised=normalise(text), suggestions=suggestions, verdict="eligible"))
    return out
