"""分類建議: one description in, the best sub-item with reasons out."""

from __future__ import annotations

import streamlit as st

from classifier.engine.application_form import application_summary
from classifier.errors import InputError
from classifier.messages import t

from .components import fail, render_prediction
from .render import escape_markdown, highlight_markdown

EXAMPLES = (
    "我們的產品是基於人臉辨識的員工打卡系統，已導入三百家企業",
    "我們的產品是基於RFID的無人店解決方案，請問可以申請智慧結帳嗎？",
    "以深度學習檢測PCB焊點瑕疵，並回饋製程參數提升良率",
    "我们开发了驾驶员疲劳检测系统，通过车内摄像头识别打哈欠和闭眼",
    "Our chatbot answers insurance customers' questions 24/7 and hands hard cases to agents.",
    "我們是青少年程式補習班，用市面教材教Python，可以申請4.12.1嗎？",
)


def _use_example():
    choice = st.session_state.get("example_pick")
    if choice and choice in EXAMPLES:
        st.session_state["desc"] = choice


def render(clf) -> None:
    lang = st.session_state.get("lang_code", "zh")
    st.selectbox(t("examples", lang), (t("examples_none", lang), *EXAMPLES), key="example_pick",
                 on_change=_use_example)
    with st.form("suggest_form", border=False):
        st.text_area(t("desc_label", lang), key="desc", height=120, placeholder=t("desc_placeholder", lang))
        submitted = st.form_submit_button(t("submit", lang), type="primary")
    text = st.session_state.get("desc", "")
    if not submitted and not st.session_state.get("last_text"):
        st.info(t("enter_text", lang))
        st.stop()
    if submitted:
        st.session_state["last_text"] = text
    text = st.session_state["last_text"]
    try:
        prediction = clf.classify(text)
    except InputError as exc:
        fail(exc, lang)

    render_prediction(clf, prediction, text, lang)
    best = prediction.best
    services = clf.services(text, prediction)
    if services:
        st.markdown(f"#### {t('services', lang)}")
        for service in services:
            with st.container(border=True):
                st.markdown(f"**{service.suggestion.code} {service.suggestion.name}**（{t('confidence', lang)} {service.suggestion.confidence:.0%}）")
                st.markdown(highlight_markdown(service.passage, service.suggestion.matched_terms))

    st.markdown(f"#### {t('why_not', lang)}")
    options = [c for c in clf.taxonomy.codes if c != best.code]
    runner_up = prediction.suggestions[1].code if len(prediction.suggestions) > 1 else options[0]
    if st.session_state.get("why_not_code") not in options:
        st.session_state["why_not_code"] = runner_up
    pick = st.selectbox(t("why_not_pick", lang), options, key="why_not_code",
                        format_func=lambda c: f"{c} {clf.taxonomy[c].name}")
    contrast = clf.contrast(text, pick)
    st.markdown(escape_markdown(t("why_not_rank", lang, rank=contrast.rank, score=contrast.score,
                                  gap=contrast.gap, conf=contrast.confidence)))
    if contrast.missing_terms:
        st.markdown(f"{t('why_not_missing', lang, code=pick)}：" + "、".join(escape_markdown(m) for m in contrast.missing_terms))
    for hit in contrast.rule_hits:
        st.warning(f"{t('why_not_rules', lang, code=pick)}｜FAQ {hit.faq}：{hit.message(lang)}")
    st.caption(escape_markdown(contrast.definition))

    st.markdown(f"#### {t('summary', lang)}")
    st.code(application_summary(prediction, clf.notes, lang=lang), language=None, wrap_lines=True)
