"""分類表與問答: the 4 / 23 / 87 taxonomy and the 23 FAQ rulings, linked both ways."""

from __future__ import annotations

import streamlit as st

from classifier.engine.normalise import normalise
from classifier.messages import t, verdict_label

from .render import escape_markdown


def _matches(item, query: str) -> bool:
    if not query:
        return True
    haystack = normalise(" ".join((item.code, item.name, item.definition, *item.keywords, *item.aliases)))
    return all(part in haystack for part in normalise(query).split())


def _ruling_md(ruling, lang: str) -> str:
    return (f"**FAQ {ruling.faq}**（{verdict_label(ruling.verdict, lang)}）  \n"
            + escape_markdown(t("ruling_question", lang, question=ruling.question)) + "  \n"
            + escape_markdown(t("ruling_answer", lang, answer=ruling.answer)))


def render(clf) -> None:
    lang = st.session_state.get("lang_code", "zh")
    items_tab, faq_tab = st.tabs([t("browse_items_tab", lang), t("browse_faq_tab", lang)])
    with items_tab:
        query = st.text_input(t("browse_search", lang), key="browse_query")
        categories = [t("browse_all", lang)] + [f"{c} {n}" for c, n in clf.taxonomy.categories.items()]
        chosen = st.selectbox(t("category", lang), categories, key="browse_category")
        items = [i for i in clf.taxonomy.items
                 if _matches(i, query) and (chosen == categories[0] or chosen.split(" ")[0] == i.category_code)]
        st.caption(t("count_items", lang, n=len(items)))
        if not items:
            st.info(t("browse_no_match", lang))
        current_sub = None
        for item in items:
            if item.subcategory_code != current_sub:
                current_sub = item.subcategory_code
                st.markdown(f"##### {item.category_code} {item.category_name} › {item.subcategory_code} {item.subcategory_name}")
            with st.expander(f"{item.code} {item.name}", expanded=bool(query) and len(items) <= 3):
                st.markdown(escape_markdown(item.definition))
                st.markdown(f"**{t('browse_keywords', lang)}**：" + "、".join(escape_markdown(k) for k in item.keywords))
                if item.aliases:
                    st.markdown(f"**{t('browse_aliases', lang)}**：" + "、".join(escape_markdown(a) for a in item.aliases))
                related = clf.rulings_for(item.code)
                if related:
                    st.markdown(f"**{t('browse_related', lang)}**")
                    for ruling in related:
                        st.markdown(_ruling_md(ruling, lang))
    with faq_tab:
        for ruling in clf.rulings:
            with st.container(border=True):
                st.markdown(_ruling_md(ruling, lang))
                if ruling.codes:
                    names = "；".join(f"{c} {clf.taxonomy[c].name}" for c in ruling.codes)
                    st.markdown(f"**{t('browse_items_of_ruling', lang)}**：{escape_markdown(names)}")
                if ruling.rule_ids:
                    st.caption(f"{t('browse_rule_ids', lang)}：{'、'.join(ruling.rule_ids)}")
