"""Staff sign-in for the page: the review queue, audit trail and re-classification are behind it.

The signed-in account lives in this browser session's server-side state only (no cookie to steal or
sign); a reload or a new tab signs in again. `AIREG_VIEW=public` serves the public view with no
sign-in at all, for a deployment that vendors reach.
"""

from __future__ import annotations

import os

import streamlit as st

from classifier.errors import InputError
from classifier.messages import error_text, t
from classifier.review.accounts import Account, AccountStore
from classifier.settings import Settings


def staff_enabled() -> bool:
    return os.environ.get("AIREG_VIEW", "all").strip().lower() != "public"


def current_account() -> Account | None:
    account = st.session_state.get("account")
    return account if isinstance(account, Account) and staff_enabled() else None


@st.cache_resource(show_spinner=False)
def _store(path: str) -> AccountStore:
    return AccountStore(path)


def sign_in_box(lang: str) -> None:
    """In the sidebar: a sign-in form, or who is signed in and a sign-out button."""
    if not staff_enabled():
        return
    account = current_account()
    if account is not None:
        st.caption(t("auth_signed_in", lang, username=account.username, role=t(f"role_{account.role}", lang)))
        if st.button(t("auth_sign_out", lang), key="sign_out"):
            st.session_state.pop("account", None)
            st.rerun()
        return
    with st.expander(t("auth_staff", lang)), st.form("sign_in", border=False):
        username = st.text_input(t("auth_username", lang), key="sign_in_user")
        password = st.text_input(t("auth_password", lang), type="password", key="sign_in_password")
        if st.form_submit_button(t("auth_sign_in", lang)):
            try:
                st.session_state["account"] = _store(str(Settings.from_env().accounts_path)).authenticate(
                    username, password)
            except InputError as exc:
                st.error(error_text(exc, lang, surface="page"))
            else:
                st.session_state.pop("sign_in_password", None)
                st.rerun()


def require_staff(lang: str, *, admin: bool = False) -> Account:
    """The signed-in account, or a message and a stop for anyone else."""
    account = current_account()
    if account is None or not account.can_review or (admin and not account.is_admin):
        st.error(t("auth_admin_only" if account is not None else "auth_staff_only", lang))
        st.stop()
    return account
