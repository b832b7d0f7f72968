"""The shared classifier (loaded once per server process) and the page language."""

from __future__ import annotations

import threading

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx

from classifier.engine.pipeline import Classifier


@st.cache_resource(show_spinner=False)
def get_classifier() -> Classifier:
    """One read-only Classifier shared by every session (its encoder cache is locked)."""
    return Classifier.load()


_warm_lock = threading.Lock()
_warm_started = False


def warm_up() -> None:
    """Start loading the model in the background on the first visit, so the first answer is quick."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True

    def load():
        try:
            get_classifier()
        except Exception:  # noqa: BLE001 - the page reports load errors when it asks for the classifier
            pass

    thread = threading.Thread(target=load, name="classifier-warm-up", daemon=True)
    add_script_run_ctx(thread)
    thread.start()


def lang() -> str:
    return "en" if st.session_state.get("lang") == "English" else "zh"
