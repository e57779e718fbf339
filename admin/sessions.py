"""Signed-in sessions: everyone sees and can end their own; the team lead sees and can end anyone's."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, jsonify, redirect, session, url_for
from flask_admin import expose
from flask_login import current_user

from access import ALL_ROLES
from admin.base import SecureView
from models import Role, UserSession, db
from services.sessions import Timeouts, end_session, keep_alive, live_session, live_sessions
from services.unit_of_work import perform
from web.auth import SESSION_KEY
from web.forms import AppForm


class EndSessionForm(AppForm):
    """Ending a session needs nothing but the button (and its CSRF token)."""


class SessionsView(SecureView):
    """`/admin/sessions/`: where you are signed in, and ending the sessions you do not recognise."""

    roles = ALL_ROLES

    @expose("/")
    def index(self):
        mine = session.get(SESSION_KEY)
        everyone = live_sessions() if current_user.role == Role.team_lead else []
        return self.render(
            "admin/sessions.html", mine=live_sessions(current_user), current_key=mine, everyone=everyone,
            form=EndSessionForm(formdata=None),
        )  # fmt: skip

    @expose("/<int:session_id>/end", methods=("POST",))
    def end(self, session_id: int):
        found = db.session.get(UserSession, session_id)
        if found is None or found.ended_at is not None:
            abort(404)
        if found.user_id != current_user.id and current_user.role != Role.team_lead:
            abort(403)
        by = current_user if found.user_id != current_user.id else None
        self.perform(lambda: end_session(found, f"ended by {current_user.name}", by), "The session has ended.")
        return redirect(url_for(".index"))

    @expose("/keep-alive", methods=("POST",))
    def keep_alive(self):
        """The page's "stay signed in": the session's last-seen time moves on (JSON, for the time-out warning)."""
        found = live_session(session.get(SESSION_KEY), current_user.id)
        if found is not None:
            perform(lambda: keep_alive(found), say=False)
        return jsonify(signed_in=True, idle_seconds=Timeouts.current().idle // timedelta(seconds=1))


def register(admin) -> None:
    admin.add_view(
        SessionsView(
            name="Where you are signed in", category="Your account", endpoint="sessions", url="/admin/sessions"
        )
    )
