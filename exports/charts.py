"""The KPI charts, drawn on the server with matplotlib's object API (pyplot keeps global state and is not
thread-safe): SVG for the page (served as a file and shown through <img>, since its <style> would be blocked by the
Content-Security-Policy if inlined), PNG for the Word report. Each chart has its table beside it on the page."""

from __future__ import annotations

import io
import textwrap

import matplotlib
from matplotlib.figure import Figure

matplotlib.rcParams.update({"svg.hashsalt": "ilr", "font.family": "DejaVu Sans", "font.size": 9})

#: NHS blue and a dark grey: distinguishable without colour (they also differ in hatching).
COLOURS = ("#005eb8", "#425563")
HATCHES = ("", "//")
THRESHOLD_COLOUR = "#d5281b"


def bar_chart(
    title: str,
    labels: list[str],
    series: dict[str, list[float]],
    *,
    unit: str = "",
    threshold: float | None = None,
    horizontal: bool = False,
    fmt: str = "svg",
) -> bytes:
    """Grouped bars, one group per label (months or agencies), with an optional threshold line."""
    rows = max(len(labels), 1)
    size = (8, max(2.5, 0.32 * rows + 1.2)) if horizontal else (8, 3.6)
    figure = Figure(figsize=size, layout="constrained")
    axes = figure.add_subplot()
    names = list(series)
    width = 0.8 / max(len(names), 1)
    positions = range(len(labels))
    for index, name in enumerate(names):
        offsets = [p + (index - (len(names) - 1) / 2) * width for p in positions]
        draw = axes.barh if horizontal else axes.bar
        draw(offsets, series[name], width, label=name, color=COLOURS[index % 2], hatch=HATCHES[index % 2],
             edgecolor="white")  # fmt: skip
    short = [textwrap.shorten(label, 40, placeholder="…") for label in labels]
    if horizontal:
        axes.set_yticks(list(positions), short)
        axes.invert_yaxis()
        axes.set_xlabel(unit)
    else:
        axes.set_xticks(list(positions), short, rotation=45 if len(labels) > 4 else 0, ha="right")
        axes.set_ylabel(unit)
    if threshold is not None:
        line = axes.axvline if horizontal else axes.axhline
        line(threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.2, label=f"Threshold {threshold:g} %")
    if not labels:
        axes.text(0.5, 0.5, "Not yet recorded", transform=axes.transAxes, ha="center", va="center")
    axes.set_title(title, loc="left", fontweight="bold")
    axes.spines[["top", "right"]].set_visible(False)
    if unit.startswith("%"):
        (axes.set_xlim if horizontal else axes.set_ylim)(0, 100)
    if len(names) > 1 or threshold is not None:
        # Below the plot, never over a bar.
        figure.legend(loc="outside lower center", ncols=3, frameon=False)
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(out, format=fmt, dpi=150, metadata=metadata)
    return out.getvalue()
