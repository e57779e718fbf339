"""The KPI package a newcomer can change: its modules import one way, each alone, with no import inside a function;
what the tallies follow is walked from the drill-downs' queries and agrees with what is declared."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from services.kpis import reads
from services.kpis.drills import DRILLS
from services.kpis.tallies import tallied_keys
from services.settings import DEFAULTS as SETTING_DEFAULTS
from tests.conftest import USE_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "services" / "kpis"
#: The package's modules in the order they depend on each other (each imports only those before it).
ORDER = ("periods", "rules", "drills", "links", "tallies", "reads", "upkeep", "counts", "breakdowns", "definitions",
         "report", "records")  # fmt: skip


def package_imports(module: str) -> tuple[set[str], list[int]]:
    """The package's modules a module imports, and the lines of any import made inside a function."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    imported, inside = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside += [n.lineno for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("services.kpis"):
            if node.module == "services.kpis":
                imported |= {alias.name for alias in node.names}
            else:
                imported.add(node.module.rsplit(".", 1)[1])
    return imported, inside


def test_every_module_of_the_package_is_in_the_order():
    assert {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"} == set(ORDER)


def test_the_package_imports_run_one_way_with_none_inside_a_function():
    for position, module in enumerate(ORDER):
        imported, inside = package_imports(module)
        assert imported <= set(ORDER[:position]), f"{module} imports {sorted(imported - set(ORDER[:position]))}"
        assert not inside, f"{module} imports inside a function at lines {inside}"


@pytest.mark.skipif(USE_POSTGRES, reason="imports do not depend on the database: run once, on SQLite")
def test_each_module_imports_alone_in_a_fresh_interpreter():
    """Alone and in dependency order: a module that needed another imported first would fail here."""
    running = [
        (module, subprocess.Popen([sys.executable, "-c", f"import services.kpis.{module}"], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True))
        for module in ORDER
    ]  # fmt: skip
    errors = {module: process.communicate()[1] for module, process in running}
    assert {module: errors[module][-400:] for module, process in running if process.returncode} == {}


def test_no_package_module_is_over_six_hundred_lines():
    assert {p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text().splitlines())) > 600} == {}


# --- what the tallies follow ----------------------------------------------------------------------------------------


def test_every_table_a_drill_down_reads_has_a_reach_or_is_written_by_core(app):
    read = {table for tables in reads.drill_reads().values() for table in tables}
    assert read == set(reads.REACH) | (read & reads.CORE_WRITTEN)
    assert read >= reads.CORE_WRITTEN  # a declaration no query needs is a stale one


def test_the_walk_finds_the_columns_each_query_reads(app):
    """Spot checks against the queries as written: a part, a filter, a date, a join through a subquery."""
    walked = reads.drill_reads()
    assert {"decided_on", "outcome", "decline_reason", "referral_id"} <= walked["triaged"]["triage_decision"]
    assert {"starts_at", "status", "archived_at", "locality_id"} <= walked["meetings"]["meeting"]
    assert "minute_taker_id" not in walked["listed"]["meeting"]  # the first autosave of a meeting moves nothing
    assert "organisation_id" in walked["agency_meetings"]["contact"]
    assert "day" in walked["first_discussed_patients"]["bank_holiday"]
    assert not {"summary", "discussion", "outcome", "decisions"} & walked["listed"]["agenda_item"]


def test_declared_settings_are_settings_and_tallied_drill_downs_are_walked(app):
    assert {key for drill in DRILLS.values() for key in drill.settings} <= set(SETTING_DEFAULTS)
    assert set(reads.drill_reads()) == set(tallied_keys())
