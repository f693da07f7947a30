"""Shared helpers for isocost's figure scripts.

A run directory holds results.csv (one row per measured point and metric) and
run.json (host facts, tool version, warnings).  This module loads both, picks
rows, reads each metric's unit from the rows and turns it into a readable axis
scale and label, groups rows into series, draws them (median markers, min-max
error bars, hollow markers for untrustworthy points), writes the notes that say
what was not measured and why, and saves each figure as PNG and SVG.

Only the standard library and matplotlib (Agg backend) are used.  The module
prints nothing except through warn(), which writes to stderr.
"""

import csv
import json
import math
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullLocator  # noqa: E402

# Columns every results.csv has; any other column is a parameter of some experiment.
FIXED_COLUMNS = (
    "experiment", "config", "point", "metric", "unit", "better", "status", "value", "median",
    "mean", "stddev", "cv", "min", "max", "n", "repetition_values", "trustworthy", "note",
)
# Fixed columns that early results.csv files lack; they read as empty.
OPTIONAL_COLUMNS = ("better",)
FLOAT_COLUMNS = ("value", "median", "mean", "stddev", "cv", "min", "max")
STATUSES = ("ok", "unsupported", "failed", "not measured")

# Time units a results.csv may use, in nanoseconds, and the scales they are shown in.
TIME_UNITS_NS = {"ns": 1.0, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
TIME_DISPLAY = (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1.0))
# Rate units whose numbers are shown with thousands separators, or in millions.
RATE_UNITS = ("ops/s",)

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

NOTE_FONTSIZE = 8
NOTE_WRAP_CHARS_PER_INCH = 15


class ResultsError(Exception):
    """results.csv (or a figure's view of it) cannot be used as it is."""


EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def draw_and_report(prog, draw, out_dir, bad_input=()):
    """Call draw() for the list of paths it wrote and print them, one per line.

    Returns the exit status: EXIT_BAD_INPUT for ResultsError or one of
    bad_input, EXIT_ERROR when a figure cannot be written, else EXIT_OK.
    """
    try:
        paths = draw()
    except (ResultsError, *bad_input) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        print(f"{prog}: writing figures into {out_dir}: {e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    for path in paths:
        print(path)
    return EXIT_OK


def warn(message):
    """Print a diagnostic for the person running the plots, on stderr."""
    print(f"plot: warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- loading


@dataclass
class Results:
    """The rows of one results.csv and the names of its parameter columns."""

    path: str
    parameters: list
    rows: list


def load_results(path):
    """Read results.csv into a Results with numbers converted.

    Raises ResultsError naming the file, line and column of the first problem.
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            parameters = check_header(path, reader.fieldnames)
            rows = []
            for raw in reader:
                rows.append(convert_row(f"{path}:{reader.line_num}", raw, parameters))
    except OSError as e:
        raise ResultsError(f"reading {path}: {e.strerror or e}") from e
    except (csv.Error, UnicodeDecodeError) as e:
        raise ResultsError(f"reading {path}: not a valid CSV file: {e}") from e
    return Results(path, parameters, rows)


def check_header(path, fieldnames):
    """Check the required columns are present; return the parameter columns."""
    if not fieldnames:
        raise ResultsError(f"reading {path}: the file is empty (no header line)")

    missing = [c for c in FIXED_COLUMNS if c not in fieldnames and c not in OPTIONAL_COLUMNS]
    if missing:
        raise ResultsError(
            f"reading {path}: missing required column(s): {', '.join(missing)}")
    return [c for c in fieldnames if c not in FIXED_COLUMNS]


def convert_row(where, raw, parameters):
    """Turn one csv.DictReader row into a dict with typed values."""
    if None in raw:
        raise ResultsError(f"{where}: more fields than the header has columns")
    if any(v is None for v in raw.values()):
        raise ResultsError(f"{where}: fewer fields than the header has columns")

    row = {k: v.strip() for k, v in raw.items()}
    for column in OPTIONAL_COLUMNS:
        row.setdefault(column, "")
    for column in FLOAT_COLUMNS:
        row[column] = to_float(row[column], where, column)
    row["n"] = to_int(row["n"], where, "n")
    row["repetition_values"] = [
        to_float(v, where, "repetition_values") for v in row["repetition_values"].split(";")
        if v.strip()
    ]
    row["trustworthy"] = to_bool(row["trustworthy"], where)
    for column in parameters:
        row[column] = parameter_value(row[column])

    check_status(row, where)
    return row


def to_float(text, where, column):
    """Parse a number, or None for an empty field."""
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise ResultsError(f"{where}: column {column}: not a number: {text!r}") from None


def to_int(text, where, column):
    """Parse an integer, or None for an empty field."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ResultsError(f"{where}: column {column}: not an integer: {text!r}") from None


def to_bool(text, where):
    """Parse the trustworthy column: true, false, or empty (unknown, None)."""
    value = text.lower()
    if value in ("true", "false"):
        return value == "true"
    if value == "":
        return None
    raise ResultsError(f"{where}: column trustworthy: expected true or false, got {text!r}")


def parameter_value(text):
    """A parameter as int, float or string; None when the experiment lacks it."""
    if text == "":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?", text):
        return float(text)
    return text


def check_status(row, where):
    """Reject unknown statuses.  An ok row without a value is kept: figures list it."""
    if row["status"] not in STATUSES:
        raise ResultsError(
            f"{where}: column status: {row['status']!r} is not one of {', '.join(STATUSES)}")


def load_run_info(path):
    """Read run.json; return (dict, problem) where problem is None or a message.

    A missing or unreadable run.json is not fatal: figures then say so in
    their footer.
    """
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except OSError as e:
        return {}, f"reading {path}: {e.strerror or e}; figures will lack host facts"
    except ValueError as e:
        return {}, f"reading {path}: not valid JSON ({e}); figures will lack host facts"

    if not isinstance(info, dict):
        return {}, f"reading {path}: expected a JSON object; figures will lack host facts"
    return info, None


def select(rows, experiment, metrics=None, statuses=None):
    """Rows of one experiment, optionally limited to some metrics and statuses."""
    return [
        r for r in rows
        if r["experiment"] == experiment
        and (metrics is None or r["metric"] in metrics)
        and (statuses is None or r["status"] in statuses)
    ]


def require_parameters(results, experiment, names):
    """Raise ResultsError unless results.csv has the named parameter columns."""
    missing = [n for n in names if n not in results.parameters]
    if missing:
        raise ResultsError(
            f"reading {results.path}: {experiment} rows need parameter column(s) "
            f"{', '.join(missing)}")


# ---------------------------------------------------------------- units


@dataclass
class Scale:
    """How to show values of one unit: multiply by factor, label with unit."""

    factor: float
    unit: str
    thousands: bool = False


def unit_of(rows, metric):
    """The one unit the measured rows give for a metric; ResultsError if they disagree.

    Rows with a value decide; rows without one (unsupported, failed) are used
    only when no row of the metric was measured.
    """
    of_metric = [r for r in rows if r["metric"] == metric]
    measured = [r for r in of_metric if r["value"] is not None]
    units = sorted({r["unit"] for r in (measured or of_metric)})
    if len(units) > 1:
        raise ResultsError(f"metric {metric} comes in several units: {', '.join(units)}")
    if not units or units[0] == "":
        raise ResultsError(f"metric {metric} has no unit in results.csv")
    return units[0]


def choose_scale(unit, values):
    """Pick a readable scale for values given in unit.

    Times become the largest of ns, µs, ms, s in which the biggest value is at
    least 1; known rates get thousands separators (or millions); any other unit
    is shown as it is written.
    """
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    biggest = max(finite, default=0.0)

    if unit in TIME_UNITS_NS:
        in_ns = TIME_UNITS_NS[unit]
        for name, ns in TIME_DISPLAY:
            if biggest * in_ns >= ns:
                return Scale(in_ns / ns, name)
        return Scale(in_ns, "ns")
    if unit in RATE_UNITS:
        if biggest >= 1e6:
            return Scale(1e-6, f"million {unit}")
        return Scale(1.0, unit, thousands=True)
    return Scale(1.0, unit)


def axis_label(quantity, scale):
    """An axis label that always names the unit."""
    return f"{quantity} ({scale.unit})"


def number_formatter(scale):
    """Tick labels without scientific notation: 2,500 or 0.25 or 12."""
    if scale.thousands:
        return FuncFormatter(lambda v, _: f"{v:,.0f}")
    return FuncFormatter(lambda v, _: f"{v:,.4g}")


# ---------------------------------------------------------------- series


@dataclass
class Point:
    """One plotted point: median with min and max over repetitions."""

    x: float
    y: float
    low: float
    high: float
    trustworthy: bool
    n: int


@dataclass
class Series:
    """Rows sharing the values of every varying parameter but the x parameter."""

    key: tuple
    label: str
    color: str = "black"
    linestyle: str = "-"
    marker: str = "o"
    points: list = field(default_factory=list)


class SeriesLayout:
    """Decides which parameters split rows into series and how each series looks.

    dims are the parameters (besides x) whose values vary across the rows, in
    the order given by `order` and then by name.  The first dim sets the color,
    the second the line style, the rest together the marker.  `relevant(param,
    row)` says whether a parameter means something for a row (a v1-only
    parameter on a v2 row does not); `describe(param, value)` words a value for
    a legend.
    """

    def __init__(self, rows, parameters, x_param, order, relevant, describe):
        self.x_param = x_param
        self.relevant = relevant
        self.describe = describe
        self.dims = varying_parameters(rows, parameters, x_param, order, relevant)
        self.constants = constant_parameters(rows, parameters, x_param, order, relevant)
        keys = sorted({self.key(r) for r in rows}, key=sort_key)
        self.styles = assign_styles(keys)

    def key(self, row):
        """The series a row belongs to: (param, value) for every dim."""
        return tuple(
            (p, row[p] if self.relevant(p, row) else None) for p in self.dims)

    def label(self, key):
        """Legend text for a series, e.g. 'reuse from pool, cgroup v2'."""
        words = [self.describe(p, v) for p, v in key if v is not None]
        return ", ".join(words) if words else "all points"

    def group_label(self, keys):
        """Label for several series: the words they share, then the ones that differ."""
        keys = sorted(set(keys), key=sort_key)
        if len(keys) == 1:
            return self.label(keys[0])

        shared = tuple(pv for pv in keys[0] if all(pv in k for k in keys))
        differing = [self.label(tuple(pv for pv in k if pv not in shared)) for k in keys]
        joiner = "; " if any("," in d for d in differing) else " and "
        if not any(v is not None for _, v in shared):
            return joiner.join(differing)
        return f"{self.label(shared)}, for {joiner.join(differing)}"

    def constants_note(self, skip=("config",)):
        """'Same in every series: ...' naming the parameters that do not vary."""
        words = [self.describe(p, v) for p, v in self.constants if p not in skip]
        if not words:
            return None
        return "Same in every series (where it applies): " + ", ".join(words) + "."

    def style_key(self, param, labels):
        """Legend proxies telling how each value of param is drawn, labelled from labels.

        Only the parameters that set the color or the line style (the first
        two dims) have a style of their own; for any other the list is empty.
        """
        if param not in self.dims[:2]:
            return []
        position = self.dims.index(param)
        proxies = {}
        for key in sorted(self.styles, key=sort_key):
            color, linestyle, _ = self.styles[key]
            value = key[position][1]
            proxies.setdefault(value, Line2D(
                [], [], color=color if position == 0 else "0.3",
                linestyle=linestyle if position == 1 else "-",
                label=labels.get(value, self.describe(param, value))))
        return list(proxies.values())

    def build(self, rows):
        """Series (sorted as in the legend) of the ok rows of one metric."""
        series = {}
        for row in rows:
            if row["status"] != "ok" or row["value"] is None:
                continue
            key = self.key(row)
            if key not in series:
                color, linestyle, marker = self.styles[key]
                series[key] = Series(key, self.label(key), color, linestyle, marker)
            series[key].points.append(point_of(row, self.x_param))

        for s in series.values():
            s.points.sort(key=lambda p: p.x)
            warn_duplicates(s)
        return [series[k] for k in sorted(series, key=sort_key)]


def ranked_values(rows, parameters, x_param, order, relevant):
    """(parameter, set of values where relevant) for every parameter but x, in order."""
    ranked = sorted(
        (p for p in parameters if p != x_param),
        key=lambda p: (order.index(p) if p in order else len(order), p))
    return [(p, {r[p] for r in rows if relevant(p, r) and r[p] is not None}) for p in ranked]


def varying_parameters(rows, parameters, x_param, order, relevant):
    """Parameters other than x that take more than one value where relevant."""
    return [p for p, values in ranked_values(rows, parameters, x_param, order, relevant)
            if len(values) > 1]


def constant_parameters(rows, parameters, x_param, order, relevant):
    """(parameter, value) for parameters other than x that take a single value."""
    return [(p, next(iter(values)))
            for p, values in ranked_values(rows, parameters, x_param, order, relevant)
            if len(values) == 1]


def sort_key(key):
    """Order series keys with None first and numbers before strings."""
    return tuple((v is not None, isinstance(v, str), v if v is not None else 0)
                 for _, v in key)


def assign_styles(keys):
    """Map each series key to (color, linestyle, marker) from its dim values."""
    def index_map(values):
        return {v: i for i, v in enumerate(sorted(set(values), key=repr))}

    first = index_map(k[0] if len(k) > 0 else None for k in keys)
    second = index_map(k[1] if len(k) > 1 else None for k in keys)
    rest = index_map(k[2:] for k in keys)
    styles = {}
    for k in keys:
        color = COLORS[first[k[0] if k else None] % len(COLORS)]
        linestyle = LINESTYLES[second[k[1] if len(k) > 1 else None] % len(LINESTYLES)]
        marker = MARKERS[rest[k[2:]] % len(MARKERS)]
        styles[k] = (color, linestyle, marker)
    return styles


def point_of(row, x_param):
    """A Point from an ok row; min/max fall back to the value when missing."""
    x = row[x_param]
    if not isinstance(x, (int, float)):
        raise ResultsError(f"{row['experiment']} point {row['point']}: "
                           f"parameter {x_param} is not a number: {x!r}")
    y = row["value"]
    low = row["min"] if row["min"] is not None else y
    high = row["max"] if row["max"] is not None else y
    return Point(x, y, low, high, row["trustworthy"] is not False, row["n"])


def warn_duplicates(series):
    """Warn when a series has two points at the same x (a parameter not told apart)."""
    xs = [p.x for p in series.points]
    dup = sorted({x for x in xs if xs.count(x) > 1})
    if dup:
        warn(f"series '{series.label}' has several points at x = "
             f"{', '.join(f'{x:g}' for x in dup)}; a parameter may be missing from the CSV")


# ---------------------------------------------------------------- drawing


def draw_series(ax, series, scale, all_xs, dodge=1.0, shift=0.0):
    """Draw one series: line, min-max error bars, filled or hollow median markers.

    The line breaks where a value of all_xs has no measured point, so a failed
    or unsupported point is not bridged over.  dodge multiplies x to shift
    overlapping series sideways on a log x axis; shift adds to x on a linear one.
    """
    xs = [p.x * dodge + shift for p in series.points]
    ys = [p.y * scale.factor for p in series.points]
    below = [max(0.0, (p.y - p.low) * scale.factor) for p in series.points]
    above = [max(0.0, (p.high - p.y) * scale.factor) for p in series.points]

    line_xs, line_ys = with_gaps(series.points, all_xs, scale)
    ax.plot([x * dodge + shift for x in line_xs], line_ys, color=series.color,
            linestyle=series.linestyle, linewidth=1.6)
    ax.errorbar(xs, ys, yerr=[below, above], fmt="none", ecolor=series.color,
                elinewidth=1.0, capsize=3, alpha=0.8)
    for trusted in (True, False):
        chosen = [(x, y) for x, y, p in zip(xs, ys, series.points) if p.trustworthy == trusted]
        if chosen:
            ax.plot(*zip(*chosen), linestyle="none", marker=series.marker, markersize=6,
                    color=series.color, markeredgewidth=1.4,
                    markerfacecolor=series.color if trusted else "white")


def with_gaps(points, all_xs, scale):
    """Line coordinates with NaN wherever an x of all_xs lacks a point."""
    by_x = {p.x: p.y * scale.factor for p in points}
    if not points:
        return [], []
    grid = sorted(set(all_xs) | set(by_x))
    first, last = grid.index(points[0].x), grid.index(points[-1].x)
    grid = grid[first:last + 1]
    return grid, [by_x.get(x, math.nan) for x in grid]


def mark_empty(ax, series_list):
    """Say inside the axes that nothing was measured, so an empty plot is not a mystery."""
    if not any(s.points for s in series_list):
        ax.text(0.5, 0.5, "no point of this metric was measured\n(see the notes below)",
                transform=ax.transAxes, ha="center", va="center", color="0.4")
        ax.yaxis.set_major_locator(NullLocator())
        ax.yaxis.set_minor_locator(NullLocator())


def legend_handles(series_list):
    """Legend proxies for the series, plus one for hollow markers if any are drawn."""
    handles = [
        Line2D([], [], color=s.color, linestyle=s.linestyle, marker=s.marker, label=s.label)
        for s in series_list
    ]
    if any(not p.trustworthy for s in series_list for p in s.points):
        handles.append(Line2D([], [], color="0.3", linestyle="none", marker="o",
                              markerfacecolor="white", markeredgewidth=1.4,
                              label="hollow: untrustworthy (see notes)"))
    return handles


def dodge_factors(count, step=0.035):
    """Multipliers that spread `count` series symmetrically around each x (log2 axis)."""
    return [2 ** ((i - (count - 1) / 2) * step) for i in range(count)]


def set_log2_x(ax, xs, label):
    """Log2 x axis with a tick at each value that appears, written as integers."""
    ticks = sorted(set(xs))
    ax.set_xscale("log", base=2)
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    if ticks:
        ax.set_xlim(ticks[0] / 2 ** 0.4, ticks[-1] * 2 ** 0.4)
    ax.set_xlabel(label)


def set_log_y(ax, scale):
    """Log y axis labelled in plain numbers; minor ticks labelled at 2 and 5 only."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(number_formatter(scale))
    plain = number_formatter(scale)

    def minor(value, pos):
        mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
        return plain(value, pos) if mantissa in (2.0, 5.0) else ""
    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


# ---------------------------------------------------------------- notes


def format_xs(xs, all_xs, name):
    """'(threads: all)', '(threads: 1, 2, 4)', or '' when no x value is known."""
    xs = sorted(set(xs))
    if not xs:
        return ""
    if len(all_xs) > 1 and set(xs) == set(all_xs):
        return f" ({name}: all)"
    return f" ({name}: {', '.join(f'{x:g}' for x in xs)})"


def grouped_notes(rows, layout, all_xs):
    """Word the rows that share a note as one line; series with equal x values merge.

    Returns lines such as 'cgroup v2, controllers: pids, for create+delete and
    reuse from pool (threads: all): controller pids is not available'.
    """
    by_series = {}
    for row in rows:
        xs = by_series.setdefault((row["note"] or "no reason given", layout.key(row)), set())
        if row[layout.x_param] is not None:
            xs.add(row[layout.x_param])

    merged = {}
    for (note, key), xs in by_series.items():
        merged.setdefault((note, frozenset(xs)), []).append(key)

    lines = []
    for (note, xs), keys in sorted(merged.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]))):
        where = format_xs(xs, all_xs, layout.x_param)
        lines.append(f"{layout.group_label(keys)}{where}: {note}")
    return lines


def status_notes(rows, layout, all_xs):
    """Notes for unsupported, failed and untrustworthy rows, one paragraph each."""
    sections = (
        ("Not measured on this host (unsupported)",
         [r for r in rows if r["status"] == "unsupported"]),
        ("Failed", [r for r in rows if r["status"] == "failed"]),
        ("Measured but no value recorded (not drawn)",
         [r for r in rows if r["status"] == "ok" and r["value"] is None]),
        ("Untrustworthy (hollow markers)",
         [r for r in rows
          if r["status"] == "ok" and r["value"] is not None and r["trustworthy"] is False]),
    )
    notes = []
    for title, chosen in sections:
        if chosen:
            lines = grouped_notes(chosen, layout, all_xs)
            notes.append(f"{title}:\n" + "\n".join(f"• {line}" for line in lines))
    return notes


def dispersion_note(series_list):
    """Say what the markers and the error bars are, with the repetition counts."""
    counts = sorted({p.n for s in series_list for p in s.points if p.n is not None})
    if not counts:
        reps = "repetitions"
    elif len(counts) == 1:
        reps = f"{counts[0]} repetitions"
    else:
        reps = f"{counts[0]} to {counts[-1]} repetitions"
    return (f"Markers: median over {reps}; error bars: min to max over the same repetitions; "
            "series are shifted slightly sideways so that bars do not overlap.")


def footer_text(info):
    """Host, tool and config facts from run.json, tolerant of missing keys."""
    def get(*path):
        node = info
        for k in path:
            node = node.get(k) if isinstance(node, dict) else None
        return node if node not in (None, "") else "?"

    parts = [
        f"kernel {get('host', 'kernel_release')}",
        f"CPU {get('host', 'cpu_model')} ({get('host', 'cpus_online')} online)",
        f"isocost {get('isocost', 'version')} (git {get('isocost', 'git_revision')})",
        f"run {get('name')} ({get('start_time')})",
    ]
    text = " · ".join(parts)
    warnings = info.get("warnings") if isinstance(info, dict) else None
    if warnings:
        text += "\nRun warnings: " + "; ".join(str(w) for w in warnings)
    if not info:
        text += "\n(run.json missing or unreadable: host facts unknown)"
    return text


def compare_footer(labelled_infos):
    """Footer for several runs drawn together: each run's facts after its label."""
    return "\n".join(f"{label}: {footer_text(info)}" for label, info in labelled_infos)


def short_time(text):
    """'2026-12-03T13:15:43Z' as '2026-12-03 13:15 UTC'; other text unchanged, '?' if empty."""
    if not isinstance(text, str) or not text:
        return "?"
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-][\d:]+)?",
                     text)
    if not m:
        return text
    zone = "UTC" if m.group(3) in ("Z", "+00:00") else (m.group(3) or "")
    return f"{m.group(1)} {m.group(2)} {zone}".rstrip()


def run_caption(kernel_release, start_time):
    """'6.18.44, 2026-12-03 13:15 UTC': which kernel a run measured, and when."""
    return f"{kernel_release or '?'}, {short_time(start_time)}"


def add_notes(fig, notes, footer):
    """Put notes and then the footer under the figure, wrapped to its width."""
    width = int(fig.get_figwidth() * NOTE_WRAP_CHARS_PER_INCH)
    body = "\n".join(wrap_paragraph(n, width) for n in notes)
    anchor = fig.text(0.01, 0.0, body, ha="left", va="top", fontsize=NOTE_FONTSIZE)
    fig.add_artist(Annotation(
        wrap_paragraph(footer, width), xy=(0, 0), xycoords=anchor, xytext=(0, -6),
        textcoords="offset points", ha="left", va="top", fontsize=NOTE_FONTSIZE,
        color="0.35", annotation_clip=False))


def wrap_paragraph(text, width):
    """Wrap each line of text, indenting continuation lines of bullets."""
    out = []
    for line in text.split("\n"):
        indent = "   " if line.startswith("•") else ""
        out.append(textwrap.fill(line, width, subsequent_indent=indent) if line else "")
    return "\n".join(out)


# ---------------------------------------------------------------- variants


@dataclass
class Variant:
    """What a plotter changes to draw a derived figure, such as two runs overlaid.

    A run's own figures use Variant() as it is.  stem_prefix goes in front of
    each file name and title_suffix after each title; footer, when set,
    replaces the one made from run.json; lead_params are placed right after a
    plotter's first series dimension, so they get the line style; value_labels
    words parameter values in legends and notes: {param: {value: words}};
    key_labels adds legend entries that show how each value of a parameter is
    drawn, in longer words: {param: {value: words}}.
    """

    stem_prefix: str = ""
    title_suffix: str = ""
    footer: str = None
    lead_params: tuple = ()
    value_labels: dict = field(default_factory=dict)
    key_labels: dict = field(default_factory=dict)

    def dim_order(self, order):
        """A plotter's dimension order with lead_params placed second."""
        rest = tuple(p for p in order if p not in self.lead_params)
        return rest[:1] + tuple(self.lead_params) + rest[1:]

    def describe(self, describe):
        """Wrap a plotter's describe(param, value) so that value_labels come first."""
        def worded(param, value):
            label = self.value_labels.get(param, {}).get(value)
            return describe(param, value) if label is None else label
        return worded

    def legend_key(self, layout):
        """Extra legend proxies for key_labels (see SeriesLayout.style_key)."""
        return [h for param, labels in self.key_labels.items()
                for h in layout.style_key(param, labels)]

    def footer_for(self, run_info):
        """The footer: the variant's own, or the facts of run.json."""
        return self.footer if self.footer is not None else footer_text(run_info)


# ---------------------------------------------------------------- output


def save_figure(fig, out_dir, stem):
    """Write stem.png and stem.svg into out_dir; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for ext, metadata in (("png", {"Software": None}), ("svg", {"Date": None})):
        path = os.path.join(out_dir, f"{stem}.{ext}")
        fig.savefig(path, dpi=150, bbox_inches="tight", pad_inches=0.15, metadata=metadata)
        paths.append(path)
    plt.close(fig)
    return paths


def new_figure(width, height, ncols=1, sharey=False):
    """A figure with constrained layout and reproducible SVG ids."""
    plt.rcParams["svg.hashsalt"] = "isocost"
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), sharey=sharey,
                             layout="constrained", squeeze=False)
    return fig, list(axes[0])
