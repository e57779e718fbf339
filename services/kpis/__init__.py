"""The team lead's KPIs (DESIGN.md §5) for a period, a locality and a GP practice, counted in the database.

Every figure is a count (or a median, a sum) over a *drill-down*: the query for the records behind it. The
dashboard counts a drill-down's rows from stored tallies, and the list a figure links to lists the same rows from
the records, so the two cannot disagree while the tallies are in step.

The modules, each importing only those before it:

- `periods`: named periods, `Scope` (what a set of figures is about);
- `rules`: the SQL every drill-down shares (row scope, parts as text, days and working days between dates);
- `drills`: `Drill` and `DRILLS`, each drill-down's query;
- `links`: `Link`, a figure's way to its records, as a page address and as a query;
- `tallies`: the tally rows (built from the drill-downs' queries, read in their place), and `rows_for`, which reads
  the tallies or, while they are out of date, the records;
- `reads`: what each drill-down reads (walked from its query) and how each table reaches patients and meetings;
- `upkeep`: the tallies kept in step at every flush (registered in services/on_flush.py);
- `counts`, `breakdowns`, `definitions`, `report`: the figures, the tables, the words, the report;
- `records`: the records behind a figure, for its list and the workbook's sheets.
"""
