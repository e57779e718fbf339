"""The load test's figures as a section of bench/results.md (between its markers, so `make bench`'s figures stay)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

#: The target for PostgreSQL (issue 34): no errors, 95th percentile under this.
TARGET_P95_MS = 300


def _verdict(measured) -> str:
    total = measured.total
    met = total.failures == 0 and total.p95 < TARGET_P95_MS
    return (
        f"**Target on PostgreSQL (0 errors, 95th percentile under {TARGET_P95_MS} ms): "
        f"{'met' if met else 'not met'}** ({total.failures} errors, 95th percentile {total.p95:.0f} ms)."
    )


def _summary(measured_list) -> list[str]:
    lines = [
        "| database | gunicorn workers | requests | per second | median ms | 95th ms | 99th ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for measured in measured_list:
        t = measured.total
        lines.append(
            f"| {measured.target.name} | {measured.target.workers} | {t.requests:,} | {t.per_second:.1f} | "
            f"{t.median:.0f} | {t.p95:.0f} | {t.p99:.0f} | {t.maximum:.0f} | {t.failures} |"
        )
    return lines


def _by_request(measured) -> list[str]:
    lines = [
        f"{measured.target.name}, by request (seeding said: {measured.seeded}):",
        "",
        "| request | count | median ms | 95th ms | 99th ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted((r for r in measured.rows if r.name != "Aggregated"), key=lambda r: -r.requests):
        lines.append(
            f"| {row.name} | {row.requests:,} | {row.median:.0f} | {row.p95:.0f} | {row.p99:.0f} | "
            f"{row.maximum:.0f} | {row.failures} |"
        )
    if measured.errors:
        lines += ["", "Errors:", "", *[f"- {error}" for error in measured.errors]]
    return lines


def render(measured_list, args, started: datetime, load_before: tuple[float, float, float], machine: dict) -> str:
    """The section: how it was run, on what, the figures, and each request type's."""
    from bench.load import DAY

    lines = [
        "## Load test (`make load`)",
        "",
        f"`python -m bench.load` on {started:%d/%m/%Y at %H:%M} ({started:%Z}), commit {machine['commit']}.",
        f"Machine: {machine['cores']}, {machine['memory']} of memory, {machine['system']}; Python "
        f"{machine['python']}, {machine['postgresql']}, SQLite {machine['sqlite']}. Load average before the run: "
        f"{load_before[0]:.2f} (1 min), {load_before[2]:.2f} (15 min).",
        "**The load generator (locust) runs on the same machine and shares its cores** with gunicorn and the "
        "database, so these figures understate what a server of this size would do on its own.",
        "",
        f"Each database: `flask seed-demo --patients {args.patients}` (a team's caseload over two years), then "
        f"{args.users} simulated coordinators, each with their own account, for {args.seconds} s (locust headless, "
        "5 new users a second, 1 to 3 s between actions: several times a person's pace). Each signs in (the "
        f"password, then the authenticator's code), then, by weight: {DAY}. Every list and record opened writes "
        "to the audit trail. An error is any answer that is not the signed-in page or saved minutes.",
        "",
        *_summary(measured_list),
        "",
    ]
    postgres = next((m for m in measured_list if m.target.name == "PostgreSQL"), None)
    if postgres:
        lines += [_verdict(postgres), ""]
    for measured in measured_list:
        lines += [*_by_request(measured), ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path, text: str, start: str, end: str) -> None:
    """Put the section between the markers in bench/results.md (appended the first time)."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{text}{end}\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current)
