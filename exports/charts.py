"""The KPI charts, drawn on the server with matplotlib's object API (pyplot keeps global state and is not
thread-safe): SVG for the page (served as a file and shown through <img>, since its <style> would be blocked by the
Content-Security-Policy if inlined), PNG for the Word report. Each chart has its table beside it on the page.

The SVG keeps its words as text (`svg.fonttype` "none"): a fifth of the size of words drawn as outlines, readable by
a screen reader's "find" and by the tests. The margins are worked out from the longest label, measured once, rather
than by matplotlib's constrained layout, which draws the whole chart an extra time to measure every tick label (on a
chart of thirty agencies: 310 ms with it, 130 ms without).
"""

from __future__ import annotations

import io
import textwrap

import matplotlib
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

FONT_SIZE = 9
matplotlib.rcParams.update(
    {"svg.hashsalt": "ilr", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": FONT_SIZE}
)

#: NHS blue and a dark grey: distinguishable without colour (they also differ in hatching).
COLOURS = ("#005eb8", "#425563")
HATCHES = ("", "//")
THRESHOLD_COLOUR = "#d5281b"
WIDTH = 8.0  # inches
#: Room (inches) for a line of text: the title above the plot, the unit beside an axis, the legend below.
LINE = 0.3
#: Room (inches) between a label and its axis (the tick and its pad), and at the chart's far edges.
PAD = 0.15


def _inches(text: str) -> float:
    """How wide `text` is drawn at the charts' font size."""
    width, _, _ = TextToPath().get_text_width_height_descent(text, FontProperties(size=FONT_SIZE), ismath=False)
    return width / 72


def _margins(labels: list[str], *, horizontal: bool, rotated: bool, legend: bool, height: float) -> dict:
    """The plot's place in the figure (fractions of it): room for the longest label, the unit, the title and the
    legend, measured rather than guessed."""
    longest = max((_inches(label) for label in labels), default=0.0)
    number = _inches("100")
    bottom = PAD + (LINE if legend else 0.0) + LINE + PAD  # the unit (or the months) below the plot
    if horizontal:
        left = PAD + longest + PAD
    else:
        left = PAD + LINE + number + PAD
        bottom += longest * 0.71 if rotated else LINE  # a label at 45° takes sin 45° of its width in height
    top = PAD + LINE
    return {"left": left / WIDTH, "right": 1 - 2 * PAD / WIDTH, "bottom": bottom / height, "top": 1 - top / height}


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
    height = max(2.5, 0.32 * rows + 1.2) if horizontal else 3.6
    short = [textwrap.shorten(label, 40, placeholder="…") for label in labels]
    rotated = not horizontal and len(labels) > 4
    names = list(series)
    legend = len(names) > 1 or threshold is not None
    figure = Figure(figsize=(WIDTH, height))
    figure.subplots_adjust(**_margins(short, horizontal=horizontal, rotated=rotated, legend=legend, height=height))
    axes = figure.add_subplot()
    width = 0.8 / max(len(names), 1)
    positions = range(len(labels))
    for index, name in enumerate(names):
        offsets = [p + (index - (len(names) - 1) / 2) * width for p in positions]
        draw = axes.barh if horizontal else axes.bar
        draw(offsets, series[name], width, label=name, color=COLOURS[index % 2], hatch=HATCHES[index % 2],
             edgecolor="white")  # fmt: skip
    if horizontal:
        axes.set_yticks(list(positions), short)
        axes.invert_yaxis()
        axes.set_xlabel(unit)
    else:
        axes.set_xticks(list(positions), short, rotation=45 if rotated else 0, ha="right" if rotated else "center")
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
    if legend:
        # Below the plot, never over a bar: in the room the margins kept at the foot.
        figure.legend(loc="lower center", bbox_to_anchor=(0.5, PAD / height), ncols=3, frameon=False)
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(out, format=fmt, dpi=150, metadata=metadata)
    return out.getvalue()
