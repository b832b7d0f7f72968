"""Scoring against labelled sets, baselines and figures."""
