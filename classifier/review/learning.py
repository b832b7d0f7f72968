"""Reviewed decisions as reference examples: approved ones only, and only on an explicit build."""

from __future__ import annotations

from pathlib import Path

from classifier.records import Example


def approved_examples(path: Path) -> tuple[list[Example], dict]:
    """Examples from the newest non-rejected decision per text, and what the manifest records of them."""
    if not path.is_file():
        return [], {"path": str(path), "count": 0, "fingerprint": ""}
    from classifier.review.decisions import DecisionStore

    store = DecisionStore(path)
    approved = store.approved_examples()
    examples = [Example(id=f"decision-{d.id}", text=d.text, code=d.final_code, verdict=d.final_verdict,
                        source="decision") for d in approved]
    return examples, {"path": str(path), "count": len(examples), "fingerprint": store.fingerprint()}
