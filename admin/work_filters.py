"""List filters the home page links to: a coordinator's own patients, and yes/no filters by a rule a service says once.

Each home-page item's count is the count of the list it links to, so the item and the filter read the same rule
(services/home.py builds the item; the filter here narrows the list).
"""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import not_

from admin.forms import FromDatabase
from formats.numbers import record_id
from services.caseload import case_holders, held_by

#: The filter's name and operation as a list's address carries them (Flask-Admin's named filter arguments).
HELD_BY_ARG = "coordinator_is"


def _holders() -> list[tuple[str, str]]:
    return [(str(user.id), user.name) for user in case_holders()]


class HeldByFilter(BaseSQLAFilter):
    """Rows about a patient on the chosen coordinator's open caseload (`services.caseload.patients_held_by`)."""

    def __init__(self, model):
        super().__init__(model.patient_id, "Coordinator", options=FromDatabase(_holders))
        self.model = model

    def validate(self, value) -> bool:
        return record_id(value) is not None

    def apply(self, query, value, alias=None):
        return query.filter(held_by(self.model.patient_id, record_id(value)))

    def operation(self):
        return "is"


class RuleFilter(BaseSQLAFilter):
    """Yes or no by a rule (a function returning a clause) said once in a service."""

    def __init__(self, column, name: str, rule):
        super().__init__(column, name, options=(("1", "Yes"), ("0", "No")))
        self.rule = rule

    def apply(self, query, value, alias=None):
        clause = self.rule()
        return query.filter(clause if value == "1" else not_(clause))

    def operation(self):
        return "is"
