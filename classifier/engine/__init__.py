"""The classification engine: normalise, encoders, lexical features, ranker, rules, explanations, the Classifier."""
