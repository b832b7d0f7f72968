"""Widgets that several pages share: the result card with its reasons, and reading an upload."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from classifier.errors import InputError
from classifier.files.output import review_text
from classifier.files.tables import read_table
from classifier.messages import error_text, source_label, t, verdict_label

from .render import escape_markdown, highlight_markdown

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
VERDICT_COLOUR = {"eligible": "green", "conditional": "orange", "ineligible": "red"}


def fail(error: InputError, lang: str) -> None:
    st.error(error_text(error, lang, surface="page"))
    st.stop()


def read_upload(upload, lang: str) -> tuple[bytes, pd.DataFrame]:
    """The uploaded bytes and table, or a clear message and a stop: too large, unreadable, too many rows."""
    raw = upload.getvalue()
    if len(raw) > MAX_BYTES:
        fail(InputError("file too large", reason="too_large", size=f"{len(raw) / 1e6:.1f} MB", limit="20 MB"), lang)
    try:
        frame = read_table(raw, upload.name)
    except InputError as exc:
        fail(exc, lang)
    if len(frame) > MAX_ROWS:
        st.error(t("batch_too_many", lang, n=len(frame), limit=MAX_ROWS))
        st.stop()
    return raw, frame


def _precedent_line(p, clf, lang: str) -> str:
    label = source_label(p.source, p.ref, lang)
    line = f"**{escape_markdown(label)}** · {escape_markdown(p.code)} · {t('similarity', lang, value=p.similarity)}"
    if p.verdict != "eligible":
        # An ineligible or conditional case is shown as such, never as plain support.
        line += f" · **{t('precedent_verdict', lang, verdict=verdict_label(p.verdict, lang))}**"
    line += "  \n"
    line += escape_markdown(p.text)
    if p.source == "faq":
        line += "  \n" + escape_markdown(t("ruling_answer", lang, answer=clf.ruling(int(p.ref)).answer))
    return line


def render_prediction(clf, prediction, text: str, lang: str) -> None:
    """The result card and its reasons; shared by the suggestion page and the review queue."""
    best = prediction.best
    with st.container(border=True):
        st.caption(t("best", lang))
        st.subheader(f"{best.code} {best.name}", anchor=False)
        st.caption(escape_markdown(best.path))
        left, right = st.columns(2)
        left.metric(t("confidence", lang), f"{best.confidence:.0%}")
        left.caption(t(f"answered_by_{prediction.answered_by}", lang))
        with right:
            st.caption(t("verdict", lang))
            st.badge(verdict_label(prediction.verdict, lang), color=VERDICT_COLOUR[prediction.verdict])
        if prediction.needs_review:
            st.info(t("needs_review", lang, reasons=review_text(prediction.review_reasons, lang)))
            for reason in prediction.review_reasons:
                st.caption(escape_markdown(t(f"review_why_{reason}", lang)))
        if prediction.truncated:
            st.warning(t("truncated", lang, n=clf.config.max_chars))
        st.markdown(f"**{t('rules_title', lang)}**")
        if not prediction.rule_hits:
            st.caption(t("no_rules", lang))
        for hit in prediction.rule_hits:
            message = hit.message(lang)
            box = st.error if hit.effect == "ineligible" else st.warning if hit.effect == "conditional" else st.info
            box(f"FAQ {hit.faq}｜{hit.rule_id}：{message}")
            if hit.trigger:
                st.caption(t("rule_trigger", lang) + "「" + escape_markdown(hit.trigger) + "」")

    if prediction.follow_up:
        st.markdown(f"#### {t('followup', lang)}")
        for question in prediction.questions(lang):
            st.markdown(f"- {escape_markdown(question)}")

    st.markdown(f"#### {t('reasons', lang)}")
    st.markdown(f"**{t('matched', lang)}**")
    if best.matched_terms:
        st.markdown(highlight_markdown(text, best.matched_terms))
    else:
        st.caption(t("no_matched", lang))
    st.markdown(f"**{t('definition', lang)}**")
    st.markdown(escape_markdown(best.definition))
    st.markdown(f"**{t('precedents', lang)}**")
    for precedent in best.precedents:
        st.markdown(_precedent_line(precedent, clf, lang))

    st.markdown(f"#### {t('alternatives', lang)}")
    chart = pd.DataFrame({
        t("item", lang): [f"{s.code} {s.name}" for s in prediction.suggestions],
        t("confidence", lang): [s.confidence for s in prediction.suggestions],
    })
    st.bar_chart(chart, x=t("item", lang), y=t("confidence", lang), horizontal=True, sort=False)
    st.dataframe(chart, hide_index=True, width="stretch")
