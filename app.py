"""Streamlit page: `streamlit run app.py`. Thin: every decision comes from `classifier`.

Vendors and consultants see the public pages; the review queue (with the audit trail and the
registry re-classification) appears only after a staff sign-in (see webui/auth.py).
"""

import streamlit as st

from classifier.errors import ClassifierError
from classifier.messages import t
from webui import page_batch, page_browse, page_queue, page_suggest
from webui.auth import current_account, sign_in_box
from webui.state import get_classifier, warm_up

LANGUAGE_CHOICES = ("中文", "English")  # each language named in itself
PUBLIC_PAGES = {"suggest": page_suggest, "browse": page_browse, "batch": page_batch}
STAFF_PAGES = {"queue": page_queue}

st.set_page_config(page_title=t("app_title"), page_icon="🗂️", layout="wide")
warm_up()

with st.sidebar:
    st.radio(t("lang"), LANGUAGE_CHOICES, key="lang", horizontal=True)
    lang = "en" if st.session_state.get("lang") == "English" else "zh"
    st.session_state["lang_code"] = lang
    pages = {**PUBLIC_PAGES, **(STAFF_PAGES if current_account() else {})}
    if st.session_state.get("page") not in pages:
        st.session_state["page"] = "suggest"
    page = st.radio(t("nav", lang), list(pages), key="page", format_func=lambda p: t(f"page_{p}", lang))
    sign_in_box(lang)

st.title(t("app_title", lang))
st.caption(t("app_caption", lang))

try:
    with st.spinner(t("loading", lang)):
        classifier = get_classifier()
except ClassifierError as exc:
    st.error(t("load_failed", lang, error=exc))
    st.stop()

pages[page].render(classifier)
