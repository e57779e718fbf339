"""What runs at every flush and statement, registered here and nowhere else, in the order it must run.

`models` imports this module last, so no code that touches the database can run without it. Each hook is a plain
function in the module that owns its rule, named here as "module:function" and imported when it first runs: the
modules that define the hooks import `models` themselves, so importing them from here would make every one of them
unimportable on its own. tests/test_house.py checks that SQLAlchemy holds exactly these listeners, in this order,
and that each name is a function.
"""

from __future__ import annotations

import importlib

from sqlalchemy import event
from sqlalchemy.orm import Session

#: (event, hook, why it runs there), in the order SQLAlchemy calls them within each event.
HOOKS = (
    ("before_flush", "services.audit:refuse_tampering",
     "a change to the audit trail is refused before anything is written"),
    ("before_flush", "models.care:refuse_changes_to_agreed_plans",
     "an agreed care plan is frozen: its change is refused before anything is counted or written"),
    ("before_flush", "services.search:refresh_words",
     "a record's search words are made from its text before it is written (and before anything reads them)"),
    ("before_flush", "services.kpis.upkeep:count_before",
     "the touched records' KPI tally rows are counted as they stand, before the flush changes them"),
    ("after_flush", "services.audit:record_changes",
     "each change's trail entry is written in the same transaction, with its before and after values"),
    ("after_flush", "services.risk:note_inputs_changed",
     "the patients whose risk inputs changed are noted while the flush's history is still there"),
    ("after_flush", "services.plans_for_the_gp:keep_for_gp",
     "the agreed care plans waiting to go to the GP are found again for the patients whose plans, shares or practice "
     "changed, in the same transaction"),
    ("after_flush", "services.caseload:keep_case_scores",
     "the episodes added, and those of patients whose risk score changed, take a copy of it: the board's order"),
    ("after_flush", "services.kpis.upkeep:count_after",
     "the same tally rows are counted again and the difference added, in the same transaction"),
    ("after_flush_postexec", "services.risk:recompute_noted",
     "the noted patients' scores are recomputed once the flush is done; the next flush writes (and audits) them"),
    ("do_orm_execute", "services.audit:refuse_bulk_statements",
     "a bulk UPDATE or DELETE on an audited table is refused: it would pass no flush, so no audit entry"),
)  # fmt: skip


def resolve(target: str):
    """The function a hook's name ("module:function") names."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _hook(target: str):
    def hook(*args, **kwargs):
        return resolve(target)(*args, **kwargs)

    hook.__qualname__ = hook.__name__ = target
    return hook


#: The listeners SQLAlchemy holds, one per row of HOOKS, in the same order.
LISTENERS = tuple((name, _hook(target)) for name, target, _why in HOOKS)

for _name, _listener in LISTENERS:
    event.listen(Session, _name, _listener)
