"""Streamlit page: `streamlit run app.py`. Thin: every decision comes from `classifier`."""

import streamlit as st

from classifier.errors import ClassifierError
from classifier.messages import t
from webui import page_batch, page_browse, page_queue, page_suggest
from webui.state import get_classifier, warm_up

LANGUAGE_CHOICES = ("中文", "English")  # each language named in itself

st.set_page_config(page_title=t("app_title"), page_icon="🗂️", layout="wide")
warm_up()

with st.sidebar:
    st.radio(t("lang"), LANGUAGE_CHOICES, key="lang", horizontal=True)
    lang = "en" if st.session_state.get("lang") == "English" else "zh"
    st.session_state["lang_code"] = lang
    pages = {"suggest": page_suggest, "browse": page_browse, "batch": page_batch, "queue": page_queue}
    page = st.radio(t("nav", lang), list(pages), key="page", format_func=lambda p: t(f"page_{p}", lang))

st.title(t("app_title", lang))
st.caption(t("app_caption", lang))

try:
    with st.spinner(t("loading", lang)):
        classifier = get_classifier()
except ClassifierError as exc:
    st.error(t("load_failed", lang, error=exc))
    st.stop()

pages[page].render(classifier)
