"""批次分類: upload a spreadsheet, classify every row, filter, chart and download."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from classifier.errors import InputError
from classifier.files.batch import classify_frame
from classifier.files.tables import TEXT_COLUMNS, find_column, to_csv_bytes, to_xlsx_bytes
from classifier.messages import t

from .components import fail, read_upload


def _guess_text_column(frame: pd.DataFrame) -> str:
    """The column the command line would use; else the one with the longest texts."""
    found = find_column(frame, TEXT_COLUMNS)
    if found is not None:
        return found
    lengths = {c: frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lengths.get)


def render(clf) -> None:
    lang = st.session_state.get("lang_code", "zh")
    st.caption(t("batch_intro", lang))
    upload = st.file_uploader(t("batch_upload", lang), type=["csv", "xlsx"], key="batch_file")
    if upload is None:
        st.stop()
    raw, frame = read_upload(upload, lang)
    st.caption(t("batch_rows", lang, n=len(frame), c=len(frame.columns)))
    columns = list(frame.columns)
    text_column = st.selectbox(t("batch_text_col", lang), columns, index=columns.index(_guess_text_column(frame)),
                               key="batch_text_column")
    id_choices = [t("none", lang), *columns]
    default_id = id_choices.index("id") if "id" in columns else 0
    id_column = st.selectbox(t("batch_id_col", lang), id_choices, index=default_id, key="batch_id_column")
    lead = [c for c in (id_column, text_column) if c in columns]

    quick = clf.first_pass is not None and st.toggle(t("batch_quick", lang), key="batch_quick",
                                                     help=t("batch_quick_help", lang))
    digest = hashlib.sha256(raw + text_column.encode() + (b"\x00quick" if quick else b"")).hexdigest()
    if st.button(t("batch_run", lang), type="primary", key="batch_run"):
        bar = st.progress(0.0, text=t("batch_progress", lang, done=0, total=len(frame)))
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            bar.progress(done[0] / max(len(frame), 1), text=t("batch_progress", lang, done=done[0], total=len(frame)))

        try:
            result = classify_frame(clf.quick() if quick else clf, frame, text_column=text_column, chunk_rows=64, progress=advance,
                                    id_column=id_column if id_column in columns else None, lang=lang)
        except InputError as exc:
            fail(exc, lang)
        st.session_state["batch_result"] = (digest, result)
    stored = st.session_state.get("batch_result")
    if not stored or stored[0] != digest:
        st.stop()
    result = stored[1]
    errors = int((result["error"] != "").sum())
    review = int(result["needs_review"].astype(bool).sum())
    st.success(t("batch_done", lang, n=len(result), errors=errors, review=review))

    view = result.copy()
    view["category"] = view["code"].map(lambda c: c.split(".")[0] if c else "")
    left, middle, right = st.columns(3)
    only_review = left.toggle(t("batch_filter_review", lang), key="batch_only_review")
    verdicts = middle.multiselect(t("verdict", lang), ["eligible", "conditional", "ineligible"],
                                  key="batch_verdicts", placeholder=t("choose", lang),
                                  format_func=lambda v: t(f"verdict_{v}", lang))
    categories = right.multiselect(t("category", lang), sorted(clf.taxonomy.categories),
                                   key="batch_categories", placeholder=t("choose", lang),
                                   format_func=lambda c: f"{c} {clf.taxonomy.categories[c]}")
    if only_review:
        view = view[view["needs_review"].astype(bool)]
    if verdicts:
        view = view[view["verdict"].isin(verdicts)]
    if categories:
        view = view[view["category"].isin(categories)]
    view = view.drop(columns=["category"])
    st.dataframe(view[lead + [c for c in view.columns if c not in lead]], hide_index=True, width="stretch")

    counts = (result.assign(category=result["code"].map(lambda c: c.split(".")[0] if c else t("error_label", lang)))
              .groupby("category").size().rename(t("rows", lang)).reset_index())
    counts["category"] = counts["category"].map(lambda c: f"{c} {clf.taxonomy.categories.get(c, '')}".strip())
    counts = counts.rename(columns={"category": t("category", lang)})
    st.markdown(f"#### {t('batch_chart', lang)}")
    st.bar_chart(counts, x=t("category", lang), y=t("rows", lang), horizontal=True)

    stem = upload.name.rsplit(".", 1)[0]
    one, two = st.columns(2)
    one.download_button(t("batch_download_csv", lang), to_csv_bytes(result),
                        file_name=f"{stem}_classified.csv", mime="text/csv", key="batch_dl_csv")
    two.download_button(t("batch_download_xlsx", lang), to_xlsx_bytes(result), file_name=f"{stem}_classified.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="batch_dl_xlsx")
