"""審查佇列: re-classify the registry, review the doubtful rows first, record every decision."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from classifier.errors import InputError
from classifier.files.tables import APPLICANT_COLUMNS, CODE_COLUMNS, TEXT_COLUMNS, find_column, to_csv_bytes
from classifier.messages import error_text, t
from classifier.review.crosswalk import Crosswalk
from classifier.review.decisions import DecisionStore, text_hash
from classifier.review.reclassify import Columns, reclassify_frame, summarise, summary_html
from classifier.settings import Settings

from .auth import require_staff
from .components import read_upload, render_prediction
from .render import escape_markdown
from .state import get_classifier

VERDICTS = ("eligible", "conditional", "ineligible")


@st.cache_resource(show_spinner=False)
def get_store(path: str, codes: tuple[str, ...]) -> DecisionStore:
    """One store per database file; it opens a connection per operation, so sessions can share it."""
    return DecisionStore(path, known_codes=codes)


def _load_registry(clf, lang: str) -> pd.DataFrame | None:
    upload = st.file_uploader(t("queue_upload", lang), type=["csv", "xlsx"], key="queue_file")
    if upload is None:
        return None
    raw, frame = read_upload(upload, lang)
    columns = list(frame.columns)

    def default(candidates, choices=columns):
        found = find_column(frame, candidates)
        return choices.index(found) if found in choices else 0

    text_column = st.selectbox(t("batch_text_col", lang), columns, index=default(TEXT_COLUMNS),
                               key="queue_text_column")
    code_column = st.selectbox(t("queue_code_col", lang), columns, index=default(CODE_COLUMNS),
                               key="queue_code_column")
    applicant_choices = [t("none", lang), *columns]
    applicant = st.selectbox(t("queue_applicant_col", lang), applicant_choices,
                             index=default(APPLICANT_COLUMNS, applicant_choices), key="queue_applicant_column")
    applicant_column = applicant if applicant in columns else None
    digest = hashlib.sha256("\x1f".join((text_column, code_column, str(applicant_column))).encode() + raw).hexdigest()
    if st.button(t("queue_run", lang), type="primary", key="queue_run"):
        bar = st.progress(0.0)
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            bar.progress(done[0] / max(len(frame), 1), text=t("batch_progress", lang, done=done[0], total=len(frame)))

        crosswalk = Crosswalk.load(Settings.from_env().crosswalk_path, clf.taxonomy)
        result = reclassify_frame(clf, frame, crosswalk, columns=Columns(text_column, code_column, applicant_column),
                                  progress=advance, lang=lang)
        result["_text"] = frame[text_column]
        result["_hash"] = frame[text_column].map(lambda s: text_hash(str(s)))
        order = result.sort_values("review_priority", ascending=False, kind="stable").index.tolist()
        st.session_state["queue"] = {"digest": digest, "result": result, "order": order, "name": upload.name,
                                     "skipped": [], "applicant": applicant_column}
    queue = st.session_state.get("queue")
    return queue["result"] if queue and queue["digest"] == digest else None


def _record(store, clf, row, final_code: str, final_verdict: str, reason: str, lang: str, source: str,
            account) -> bool:
    try:
        store.record(text=str(row["_text"]), reviewer=account.username, account=account.username,
                     suggested_code=row["suggested_code"], suggested_verdict=row["verdict"],
                     final_code=final_code, final_verdict=final_verdict, reason=reason.strip(),
                     case_id=str(row.name), source=source, **clf.versions)
    except InputError as exc:
        st.error(error_text(exc, lang, surface="page"))
        return False
    st.toast(t("queue_saved", lang, code=final_code, verdict=t(f"verdict_{final_verdict}", lang)))
    return True


def _admin_tools(store, settings, lang: str) -> None:
    """An admin exports the audit trail and rebuilds the index with the approved decisions."""
    if store.count():
        st.download_button(t("queue_audit", lang), to_csv_bytes(store.to_frame()), file_name="decisions_audit.csv",
                           mime="text/csv", key="queue_audit_dl")
    if st.button(t("queue_rebuild", lang), key="queue_rebuild"):
        from classifier.engine.pipeline import Classifier
        from classifier.review.learning import approved_examples

        with st.spinner(t("queue_rebuilding", lang)):
            examples, provenance = approved_examples(settings.decisions_path)
            Classifier.build(settings, extra_examples=examples, provenance=provenance).save(settings)
            get_classifier.clear()
        st.success(t("queue_rebuilt", lang, n=len(examples)))


def render(clf) -> None:
    lang = st.session_state.get("lang_code", "zh")
    account = require_staff(lang)
    st.caption(t("queue_intro", lang))
    settings = Settings.from_env()
    store = get_store(str(settings.decisions_path), tuple(clf.taxonomy.codes))
    result = _load_registry(clf, lang)
    if result is None:
        if account.is_admin:
            _admin_tools(store, settings, lang)
        st.stop()
    queue = st.session_state["queue"]
    reviewed = store.reviewed_hashes()
    pending = [i for i in queue["order"] if result.at[i, "_hash"] not in reviewed and i not in queue["skipped"]]
    done = sum(1 for h in result["_hash"] if h in reviewed)
    st.progress(done / max(len(result), 1), text=t("queue_progress", lang, done=done, total=len(result)))

    tab_review, tab_summary = st.tabs([t("page_queue", lang), t("queue_summary", lang)])
    with tab_summary:
        summary = summarise(result, applicant_column=queue.get("applicant"))
        st.bar_chart(pd.DataFrame({t("queue_agreement", lang): [t(f"agreement_{k}", lang) for k in summary.agreement],
                                   t("rows", lang): list(summary.agreement.values())}),
                     x=t("queue_agreement", lang), y=t("rows", lang), horizontal=True)
        st.markdown(f"**{t('queue_matrix', lang)}**")
        st.dataframe(summary.matrix, width="stretch")
        page = summary_html(summary, source_name=queue["name"], versions=clf.versions, taxonomy=clf.taxonomy,
                            lang=lang)
        one, two, three = st.columns(3)  # the audit trail is an admin's export
        one.download_button(t("queue_summary_html", lang), page.encode("utf-8"), file_name="reclassify_summary.html",
                            mime="text/html", key="queue_summary_dl")
        public = result.drop(columns=["_text", "_hash"])
        two.download_button(t("queue_results_csv", lang), to_csv_bytes(public),
                            file_name="reclassified.csv", mime="text/csv", key="queue_results_dl")
        if account.is_admin:
            three.download_button(t("queue_audit", lang), to_csv_bytes(store.to_frame()),
                                  file_name="decisions_audit.csv", mime="text/csv", key="queue_audit_dl2")

    with tab_review:
        if not pending:
            st.success(t("queue_all_done", lang))
            st.stop()
        index = pending[0]
        row = result.loc[index]
        st.subheader(t("queue_case", lang, pos=done + 1, total=len(result), priority=float(row["review_priority"])),
                     anchor=False)
        registered = row["registered_names"] or row["registered_unresolved"] or "—"
        st.markdown(f"**{t('column_kind_code', lang)}**：{escape_markdown(registered)}　"
                    f"**{t('queue_agreement', lang)}**：{t('agreement_' + row['agreement'], lang)}")
        st.markdown(escape_markdown(str(row["_text"])) or "—")
        if row["registered_rulings"]:
            st.warning(row["registered_rulings"])
        if row["error"]:
            st.warning(row["error"])
        else:
            render_prediction(clf, clf.classify(str(row["_text"])), str(row["_text"]), lang)
        codes = list(clf.taxonomy.codes)
        suggested = row["suggested_code"] if row["suggested_code"] in codes else codes[0]
        with st.form(f"review_{index}", border=True):
            final_code = st.selectbox(t("queue_final_code", lang), codes, index=codes.index(suggested),
                                      format_func=lambda c: f"{c} {clf.taxonomy[c].name}", key=f"final_code_{index}")
            verdict = row["verdict"] if row["verdict"] in VERDICTS else "eligible"
            final_verdict = st.radio(t("queue_final_verdict", lang), VERDICTS, index=VERDICTS.index(verdict),
                                     horizontal=True, format_func=lambda v: t(f"verdict_{v}", lang),
                                     key=f"final_verdict_{index}")
            reason = st.text_input(t("queue_reason", lang), key=f"reason_{index}")
            accept, save, skip = st.columns(3)
            accepted = accept.form_submit_button(t("queue_accept", lang), type="primary")
            saved = save.form_submit_button(t("queue_save", lang))
            skipped = skip.form_submit_button(t("queue_skip", lang))
        if skipped:
            queue["skipped"].append(index)
            st.rerun()
        if accepted or saved:
            code, verdict_out = (row["suggested_code"], verdict) if accepted else (final_code, final_verdict)
            if _record(store, clf, row, code, verdict_out, reason, lang, queue["name"], account):
                st.rerun()
