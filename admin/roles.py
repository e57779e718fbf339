"""Who may use a record screen: role sets per Flask-Admin endpoint and bulk action (DESIGN.md §2)."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from access import READERS, STAFF, TEAM_LEAD


def signed_in() -> bool:
    return current_user.is_authenticated and current_user.is_active


def to_sign_in():
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def refuse():
    """Anonymous users go to sign-in; a signed-in user without the role is refused."""
    if not signed_in():
        return to_sign_in()
    abort(403)


class RoleRules:
    """Mixed into the secured model view: each endpoint checks its role set; anonymous users go to sign-in."""

    #: Roles that may open the list and record pages; create, edit, archive, export; restore and see archived rows.
    roles_view: frozenset = READERS
    roles_create: frozenset = STAFF
    roles_edit: frozenset = STAFF
    roles_archive: frozenset = STAFF
    roles_export: frozenset = STAFF
    roles_restore: frozenset = TEAM_LEAD

    def _allowed(self, roles: frozenset) -> bool:
        return signed_in() and current_user.role in roles

    can_create = property(lambda self: self._allowed(self.roles_create))
    can_edit = property(lambda self: self._allowed(self.roles_edit))
    can_export = property(lambda self: self._allowed(self.roles_export))
    archivable = property(lambda self: hasattr(self.model, "archived_at"))

    @property
    def showing_archived(self) -> bool:
        """True when the team lead asked the list for archived rows (`?archived=1`)."""
        return self.archivable and request.args.get("archived") == "1" and self._allowed(self.roles_restore)

    def is_accessible(self) -> bool:
        return self._allowed(self.roles_view)

    def inaccessible_callback(self, name, **kwargs):
        return refuse()

    #: Which role set each Flask-Admin endpoint needs, beyond `roles_view`.
    _ENDPOINT_RIGHTS = {
        "create_view": "roles_create",
        "edit_view": "roles_edit",
        "ajax_update": "roles_edit",
        "export": "roles_export",
    }

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name == "delete_view" and not self.can_delete:
            abort(403)
        if name in self._ENDPOINT_RIGHTS and not self._allowed(getattr(self, self._ENDPOINT_RIGHTS[name])):
            abort(403)
        if name == "action_view" and not any(self.is_action_allowed(a) for a in self._actions_data):
            abort(403)
        if name == "ajax_lookup" and not (self._form_ajax_refs and (self.can_create or self.can_edit)):
            abort(403)
        if name == "ajax_update" and not self.column_editable_list:
            abort(403)
        return None

    def is_action_allowed(self, name: str) -> bool:
        if name in ("archive", "restore"):
            return self.archivable and self._allowed(self.roles_archive if name == "archive" else self.roles_restore)
        return super().is_action_allowed(name)

    def get_actions_list(self):
        """Offer "Restore" on the archived list and "Archive" on the live one."""
        actions, confirmations = super().get_actions_list()
        hidden = "archive" if self.showing_archived else "restore"
        return [a for a in actions if a[0] != hidden], confirmations
