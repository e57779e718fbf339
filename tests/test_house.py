"""The house rules a newcomer relies on, checked by reading the code: one parser for numbers from a request, one
module registering what runs at flush (in its order), exports that never read the database, a README whose
layout names real paths."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from formats.numbers import MAX_ID, record_id, whole_number
from services import on_flush
from tests.conftest import USE_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
#: The code that reads requests (screens, blueprints) or is handed their text (services), and the shared rules.
REQUEST_CODE = ("admin", "web", "services", "access.py", "cli.py")
#: Names through which request text reaches code: Flask's request, a form field's data, a query string.
REQUEST_NAMES = frozenset({"request", "args", "form", "data", "raw_data", "values", "chosen"})


def python_files(*places: str) -> list[Path]:
    found = []
    for place in places:
        path = ROOT / place
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def calls(tree: ast.AST):
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def names_in(node: ast.AST) -> set[str]:
    """Every bare name and attribute name an expression reads."""
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.Attribute):
            found.add(inner.attr)
    return found


def number_parsing_outside_the_parser(source: str) -> list[str]:
    """`isdigit`, `isdecimal`, `isnumeric`, WTForms' IntegerField, `coerce=int`, or `int(...)` of request text."""
    problems = []
    for call in calls(ast.parse(source)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("isdigit", "isdecimal", "isnumeric"):
            problems.append(f"line {call.lineno}: .{func.attr}()")
        if isinstance(func, ast.Name) and func.id == "IntegerField":
            problems.append(f"line {call.lineno}: IntegerField (use web.forms.WholeNumberField or IdField)")
        for keyword in call.keywords:
            if keyword.arg == "coerce" and isinstance(keyword.value, ast.Name) and keyword.value.id == "int":
                problems.append(f"line {call.lineno}: coerce=int (use coerce=record_id)")
        if isinstance(func, ast.Name) and func.id == "int" and call.args and names_in(call.args[0]) & REQUEST_NAMES:
            problems.append(f"line {call.lineno}: int() of request text")
    return problems


def test_no_screen_blueprint_or_service_parses_request_numbers_any_other_way():
    problems = []
    for path in python_files(*REQUEST_CODE):
        problems += [f"{path.relative_to(ROOT)} {p}" for p in number_parsing_outside_the_parser(path.read_text())]
    assert not problems, "use formats.numbers (record_id, whole_number):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "code",
    [
        "ok = value.isdigit()",
        "ok = text.strip().isdecimal()",
        "n = int(request.args['page'])",
        "n = int(form.cfs.data)",
        "field = IntegerField('Weeks')",
        "field = SelectField('Locality', coerce=int)",
    ],
)
def test_the_parser_rule_catches_each_way_round_it(code):
    assert number_parsing_outside_the_parser(code)


def test_the_parser_rule_lets_other_numbers_be():
    assert not number_parsing_outside_the_parser("n = int(get_setting(KEY))\nm = int(total.total_seconds())")


@pytest.mark.parametrize(
    "typed, expected",
    [("12", 12), (" 12 ", 12), ("²", None), ("1e9", None), ("1_000", None), ("-1", None), ("0", None), ("", None),
     (None, None), ("99999999999", None), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("١٢", None)],
)  # fmt: skip
def test_an_id_is_ascii_digits_within_the_databases_range(typed, expected):
    assert record_id(typed) == expected


def test_a_whole_number_keeps_to_its_bounds():
    assert whole_number("-3", minimum=-5) == -3
    assert whole_number("-3") is None
    assert whole_number("10", maximum=9) is None


# --- what runs at flush ---------------------------------------------------------------------------------------------


def test_sqlalchemy_holds_exactly_the_hooks_of_on_flush_in_their_order():
    for name in ("before_flush", "after_flush", "after_flush_postexec", "do_orm_execute"):
        declared = [listener for event, listener in on_flush.LISTENERS if event == name]
        held = list(getattr(Session.dispatch, name)._clslevel[Session])
        assert held == declared, name
    assert [listener.__name__ for _event, listener in on_flush.LISTENERS] == [t for _e, t, _w in on_flush.HOOKS]


def test_each_hook_names_a_function_and_says_why_it_runs_there():
    assert all(callable(on_flush.resolve(target)) and len(why) > 30 for _event, target, why in on_flush.HOOKS)


@pytest.mark.parametrize(
    "module",
    [
        "models",
        "services.audit",
        "services.risk",
        "services.settings",
        "access",
        "services.calendar",
        "services.kpis.periods",
        "web.forms",
        "services.documents",
    ],
)
@pytest.mark.skipif(USE_POSTGRES, reason="imports do not depend on the database: run once, on SQLite")
def test_a_module_imports_on_its_own(module):
    """Importing `models` registers the hooks without importing the modules that define them (they import `models`):
    any module can be the first one imported."""
    found = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr[-400:]


def registers_on_session(source: str) -> list[int]:
    """Lines that register a listener on the Session class (`event.listen(Session, ...)`, `@event.listens_for(...)`)."""
    found = []
    for call in calls(ast.parse(source)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("listen", "listens_for") and call.args:
            target = call.args[0]
            if isinstance(target, ast.Name) and target.id == "Session":
                found.append(call.lineno)
    return found


def test_no_module_but_on_flush_registers_what_runs_at_flush():
    elsewhere = {
        str(path.relative_to(ROOT)): lines
        for path in python_files(".")
        if ".venv" not in path.parts and "tests" not in path.parts and path.name != "on_flush.py"
        for lines in [registers_on_session(path.read_text())]
        if lines
    }
    assert not elsewhere
    assert registers_on_session("@event.listens_for(Session, 'before_flush')\ndef f(*a): pass")


# --- documents one way round ----------------------------------------------------------------------------------------

#: What a renderer may import: the standard library, the document libraries, other renderers, formats.
RENDERER_IMPORTS = re.compile(
    r"(__future__|io|re|csv|textwrap|unicodedata|zipfile|pathlib|dataclasses|decimal|"
    r"datetime|typing|collections|docx|openpyxl|xlsxwriter|matplotlib|exports|formats)(\..*)?$"
)


def renderer_import_problems(path: Path) -> list[str]:
    """Imports of an exports/ module that could reach the database: only a context TYPE may come from services."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            problems += [alias.name for alias in node.names if not RENDERER_IMPORTS.match(alias.name)]
        elif isinstance(node, ast.ImportFrom) and not RENDERER_IMPORTS.match(node.module or ""):
            if not (node.module or "").startswith("services."):
                problems.append(node.module)
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not dataclasses.is_dataclass(getattr(module, alias.name, None)):
                    problems.append(f"{node.module}.{alias.name} (not a context type)")
    return problems


def test_exports_turn_a_plain_context_into_bytes_and_read_no_database():
    problems = {
        path.name: found for path in python_files("exports") for found in [renderer_import_problems(path)] if found
    }
    assert not problems


def test_the_exports_rule_catches_a_database_import(tmp_path):
    for code in ("from models import db", "import sqlalchemy", "from services.actions import STILL_OPEN"):
        sample = tmp_path / "sample.py"
        sample.write_text(code + "\n")
        assert renderer_import_problems(sample), code


# --- README ----------------------------------------------------------------------------------------------------------


def layout_paths(readme: str) -> list[tuple[str, str]]:
    """(path, its row's folder) for every path the Layout table names: a bare file name in a folder's row is that
    folder's file."""
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    found = []
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        names = re.findall(r"`([A-Za-z0-9_./-]+(?:\.py|\.md|\.txt|/))`", row)
        found += [(name, names[0]) for name in names]
    return found


def missing_layout_paths(readme: str) -> list[str]:
    return [
        name for name, folder in layout_paths(readme) if not ((ROOT / name).exists() or (ROOT / folder / name).exists())
    ]


def test_every_path_the_readme_layout_names_exists():
    assert layout_paths((ROOT / "README.md").read_text())
    assert missing_layout_paths((ROOT / "README.md").read_text()) == []


def test_the_layout_check_notices_a_path_that_does_not_exist():
    readme = "## Layout\n\n| path | what |\n| --- | --- |\n| `admin/` | screens: `base.py`, `exporting.py` |\n"
    assert missing_layout_paths(readme) == ["exporting.py"]


def test_no_module_is_over_six_hundred_lines():
    places = [p for p in python_files(".") if not {".venv", "tests", "migrations"} & set(p.relative_to(ROOT).parts)]
    big = {str(p.relative_to(ROOT)) for p in places if len(p.read_text().splitlines()) > 600}
    assert big <= {"services/kpis.py"}  # the KPI code becomes a package of small modules (issue 25)
