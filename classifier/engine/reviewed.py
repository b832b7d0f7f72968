"""The reviewed-decision layer: a description that repeats a reviewed one takes the reviewer's answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from classifier.engine.normalise import normalise
from classifier.records import Example


@dataclass(frozen=True)
class ReviewedDecisions:
    """Approved decisions and their hybrid feature rows; nothing else in the index depends on them."""

    examples: tuple[Example, ...]
    index: object  # sparse (n, features) or None
    threshold: float

    @classmethod
    def empty(cls, threshold: float = 0.95) -> ReviewedDecisions:
        return cls((), None, threshold)

    @classmethod
    def build(cls, examples: tuple[Example, ...], features, threshold: float) -> ReviewedDecisions:
        if not examples:
            return cls.empty(threshold)
        return cls(examples, features.transform([normalise(e.text) for e in examples], "query"), threshold)

    def state(self) -> dict:
        return {"examples": [asdict(e) for e in self.examples], "index": self.index}

    @classmethod
    def from_state(cls, state: dict | list | None, threshold: float) -> ReviewedDecisions:
        if not state:
            return cls.empty(threshold)
        examples = tuple(Example(**{**e, "rule_ids": tuple(e["rule_ids"])}) for e in state["examples"])
        return cls(examples, state["index"], threshold) if examples else cls.empty(threshold)

    def __len__(self) -> int:
        return len(self.examples)

    def matches(self, X, scale: float) -> list[tuple[Example, float] | None]:
        """The decision each query row repeats (similarity at or above the threshold), if any.

        ``scale`` divides the hybrid similarity (a weighted sum of cosines) back into 0…1.
        """
        if not self.examples or self.index is None:
            return [None] * X.shape[0]
        sims = (X @ self.index.T).toarray() / scale
        best = sims.argmax(axis=1)
        return [(self.examples[j], float(sims[i, j])) if sims[i, j] >= self.threshold else None
                for i, j in enumerate(best)]
