"""What runs at every flush and statement, registered here and nowhere else, in the order it must run.

`models` imports this module last, so no code that touches the database can run without it. Each hook is
a plain function in the module that owns its rule; this table says when it runs and why there.
tests/test_on_flush.py checks that SQLAlchemy holds exactly these listeners, in this order.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.care import refuse_changes_to_agreed_plans
from services import audit, kpi_tallies, risk

#: (event, hook, why it runs there), in the order SQLAlchemy calls them within each event.
HOOKS = (
    ("before_flush", audit.refuse_tampering,
     "a change to the audit trail is refused before anything is written"),
    ("before_flush", refuse_changes_to_agreed_plans,
     "an agreed care plan is frozen: its change is refused before anything is counted or written"),
    ("before_flush", kpi_tallies.count_before,
     "the touched records' KPI tally rows are counted as they stand, before the flush changes them"),
    ("after_flush", audit.record_changes,
     "each change's trail entry is written in the same transaction, with its before and after values"),
    ("after_flush", risk.note_inputs_changed,
     "the patients whose risk inputs changed are noted while the flush's history is still there"),
    ("after_flush", kpi_tallies.count_after,
     "the same tally rows are counted again and the difference added, in the same transaction"),
    ("after_flush_postexec", risk.recompute_noted,
     "the noted patients' scores are recomputed once the flush is done; the next flush writes (and audits) them"),
    ("do_orm_execute", audit.refuse_bulk_statements,
     "a bulk UPDATE or DELETE on an audited table is refused: it would pass no flush, so no audit entry"),
)  # fmt: skip


def _register() -> None:
    for name, hook, _why in HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


_register()
