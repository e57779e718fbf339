"""Each role's home page (the team lead's month figures, the header's patient search) in the bench: `time_home_pages`.

Signs in as each demo account with its own test client and times its home page, then the header's search for a
common surname as the coordinator. DESIGN.md §7 and issue 31 aim for under 100 ms each, in a fixed number of
queries (the home page's lists are each one bounded query and one capped count).
"""

from __future__ import annotations

import statistics

import demo


def time_home_pages(app, counter, args) -> list:
    """Timings of `/admin/` for every demo role, and of the header's search (skipped unless `--only home`)."""
    from bench import DEFAULT_SEARCH, Timing, measure, nearest_rank, sign_in

    if args.only and not "home".startswith(args.only[:4]):
        return []
    timings = []
    for email, _, role, _ in demo.DEMO_ACCOUNTS:
        client = app.test_client()
        sign_in(client, email, demo.DEMO_PASSWORD)
        urls = [("home", role.value, "/admin/")]
        if role.value == "coordinator":
            urls.append(("home search", role.value, f"/admin/find/?q={DEFAULT_SEARCH}"))
        if role.value == "team_lead":  # the month's headline KPIs, fetched by the page once it is shown
            urls.append(("home month figures", role.value, "/admin/month-figures"))
        for screen, variant, url in urls:
            status, times, queries = measure(client, counter, url, args.runs)
            timings.append(
                Timing(screen, variant, url, status, statistics.median(times), nearest_rank(times, 90), queries)
            )
    return timings
