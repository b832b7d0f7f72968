"""Choose ranker settings by cross-validation over the training rows only (never a dev set).

Usage: python scripts/tune.py [--write]   (--write stores the best settings in data/ranker.json)
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import asdict, replace

from classifier.engine.index import RankerConfig, cross_validate, default_encoder, encode_references, tokenizer_words
from classifier.engine.lexical import Tokenizer
from classifier.engine.normalise import normalise
from classifier.engine.pipeline import training_examples
from classifier.settings import Settings
from classifier.taxonomy.loaders import faq_precedents, load_taxonomy
from classifier.taxonomy.references import build_references


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--lexical", type=float, nargs="+", default=[0.0, 0.3, 0.45, 0.6, 0.8])
    parser.add_argument("--per-class", type=int, nargs="+", default=[4, 6, 8, 10])
    parser.add_argument("--decay", type=float, nargs="+", default=[0.85, 1.0])
    args = parser.parse_args()
    settings = Settings.from_env()
    taxonomy = load_taxonomy(settings.taxonomy_path, expected=settings.expected_items)
    examples = training_examples(settings, taxonomy)
    refs = build_references(taxonomy, faq_precedents(settings.faq_path), examples)
    texts = [normalise(r.text) for r in refs]
    encoder = default_encoder(settings, fetch=True)
    dense = encode_references(encoder, refs, texts)
    tokenizer = Tokenizer(tokenizer_words(taxonomy))
    base = RankerConfig.load(settings.data_dir / "ranker.json")
    results = []
    grid = itertools.product(args.lexical, args.per_class, args.decay)
    for lex, per_class, decay in grid:
        config = replace(base, lexical_weight=lex, per_class=per_class, decay=decay, cv_folds=args.folds)
        cv = cross_validate(refs, dense, texts, tokenizer, replace(config, head_blend=(0.0,)))
        top1 = float(cv.choose(replace(config, head_blend=(0.0,)))[2])
        results.append((top1, lex, per_class, decay))
        print(f"cv_top1={top1:.4f} lexical={lex} per_class={per_class} decay={decay}", flush=True)
    results.sort(reverse=True)
    best = results[0]
    print("best", best)
    if args.write:
        config = replace(base, lexical_weight=best[1], per_class=best[2], decay=best[3])
        data = {"_comment": "Chosen by scripts/tune.py: 5-fold cross-validation over the training rows only."}
        data.update(asdict(config))
        (settings.data_dir / "ranker.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
