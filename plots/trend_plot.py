#!/usr/bin/python3
"""Draw how metrics move across runs, from the JSON of `isocost trend --json`.

Usage: trend_plot.py TREND_JSON [--out DIR]

One figure per (experiment, metric) pair, named trend-<experiment>-<metric>.png
and .svg: the runs along x in the order the JSON gives (tick labels: kernel
release and start time), the median of each point on y with error bars from
min to max, one line per series.  A series is labelled with the parameters
that differ between the figure's series; the ones that do not are named in a
note.  The unit comes from each series' unit field.  With more than
MAX_SERIES series, the figure keeps those whose median changed the most
(relatively) between the first and the last run that measured them, and a note
says how many, and which, were left out.  TREND_JSON may be - for stdin.
Paths of the files written are printed on stdout, one per line; diagnostics go
to stderr.  Run it with an interpreter that has matplotlib:
"$(scripts/find-python)".
"""

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass

import isocost_plot as ip

SCHEMA_VERSION = 1
MAX_SERIES = 8
MAX_NAMED = 12  # left-out series named in the note; the rest are only counted
COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
SHIFT_STEP = 0.05  # sideways shift between neighbouring series, in runs
CROWDED_RUNS = 3  # with more runs than this, x tick labels are slanted


class TrendError(Exception):
    """The trend JSON cannot be used as it is."""


@dataclass
class Entry:
    """One series of the trend JSON, with its parsed parameters and its change."""

    params: list
    unit: str
    points: list
    change: float = None
    label: str = ""


# ---------------------------------------------------------------- loading


def load_trend(path):
    """Read and check the trend JSON; TrendError names the first problem."""
    try:
        if path == "-":
            trend = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                trend = json.load(f)
    except OSError as e:
        raise TrendError(f"reading {path}: {e.strerror or e}") from e
    except ValueError as e:
        raise TrendError(f"reading {path}: not valid JSON: {e}") from e

    check_trend(source_name(path), trend)
    return trend


def source_name(path):
    """The JSON's path for messages; - is standard input."""
    return "standard input" if path == "-" else path


def check_trend(where, trend):
    """Check the top level, the runs and every series against schema version 1."""
    if not isinstance(trend, dict):
        raise TrendError(f"reading {where}: expected a JSON object (isocost trend --json)")
    if trend.get("schema_version") != SCHEMA_VERSION:
        raise TrendError(f"reading {where}: schema_version is {trend.get('schema_version')!r}; "
                         f"this script reads version {SCHEMA_VERSION}")
    runs, series = trend.get("runs"), trend.get("series")
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
        raise TrendError(f"reading {where}: 'runs' must be a non-empty list of objects")
    if not isinstance(series, list):
        raise TrendError(f"reading {where}: 'series' must be a list")
    for i, s in enumerate(series):
        check_series(f"{where}: series {i}", s, len(runs))


def check_series(where, series, run_count):
    """One series: names, unit, and one point (or null) per run."""
    if not isinstance(series, dict):
        raise TrendError(f"{where}: expected an object")
    for key in ("experiment", "metric", "unit", "params"):
        if not isinstance(series.get(key), str):
            raise TrendError(f"{where}: '{key}' must be a string")
    points = series.get("points")
    if not isinstance(points, list) or len(points) != run_count:
        raise TrendError(f"{where}: 'points' must be a list with one entry per run "
                         f"({run_count})")
    for i, point in enumerate(points):
        if point is not None:
            check_point(f"{where}, point {i}", point)


def check_point(where, point):
    """A point: median, min and max numbers, n an integer (or absent)."""
    if not isinstance(point, dict):
        raise TrendError(f"{where}: expected an object or null")
    for key in ("median", "min", "max"):
        value = point.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TrendError(f"{where}: '{key}' must be a number")
    if point.get("n") is not None and not isinstance(point["n"], int):
        raise TrendError(f"{where}: 'n' must be an integer")


# ---------------------------------------------------------------- series


def parse_params(text):
    """'pattern=create threads=1' as [('pattern', 'create'), ('threads', '1')]."""
    pairs = []
    for token in text.split():
        name, _, value = token.partition("=")
        pairs.append((name, value))
    return pairs


def group_series(trend):
    """{(experiment, metric): [Entry]} in the order of first appearance."""
    groups = {}
    for s in trend["series"]:
        entry = Entry(parse_params(s["params"]), s["unit"], s["points"])
        entry.change = relative_change(entry.points)
        groups.setdefault((s["experiment"], s["metric"]), []).append(entry)
    return groups


def relative_change(points):
    """(last - first) / |first| of the medians of the first and last measured runs."""
    measured = [p["median"] for p in points if p is not None]
    if len(measured) < 2:
        return None
    first, last = measured[0], measured[-1]
    if first == 0:
        return 0.0 if last == 0 else math.inf
    return (last - first) / abs(first)


def label_entries(entries):
    """Label each entry with its varying parameters; return the constant ones."""
    names = list(dict.fromkeys(name for e in entries for name, _ in e.params))
    values = {n: {dict(e.params).get(n) for e in entries} for n in names}
    varying = [n for n in names if len(values[n]) > 1]

    for e in entries:
        given = dict(e.params)
        words = [f"{n}={given[n]}" for n in varying if n in given]
        e.label = " ".join(words) if words else "all points"
    return [(n, next(iter(values[n]))) for n in names if n not in varying]


def choose_shown(entries):
    """(shown, left out): at most MAX_SERIES entries, largest relative change first."""
    if len(entries) <= MAX_SERIES:
        return entries, []

    def size(e):
        return -1.0 if e.change is None else abs(e.change)
    ranked = sorted(entries, key=size, reverse=True)
    keep = {id(e) for e in ranked[:MAX_SERIES]}
    return ([e for e in entries if id(e) in keep], [e for e in ranked if id(e) not in keep])


def to_series(entry, index):
    """An isocost_plot.Series with one Point per run that measured the series."""
    label = entry.label
    if entry.change is not None:
        label += f" ({format_change(entry.change)})"
    series = ip.Series((index,), label, COLORS[index % len(COLORS)], "-",
                       ip.MARKERS[index % len(ip.MARKERS)])
    for run, p in enumerate(entry.points):
        if p is not None:
            trusted = p.get("trustworthy", True) is not False
            series.points.append(ip.Point(run, p["median"], p["min"], p["max"], trusted,
                                          p.get("n")))
    return series


def format_change(change):
    """+12% or -41%; 'from 0' when the first median is 0."""
    return "from 0" if math.isinf(change) else f"{change:+.0%}"


# ---------------------------------------------------------------- drawing


def plot_group(trend, experiment, metric, entries, out_dir, footer):
    """Draw trend-<experiment>-<metric>; return the paths written."""
    constants = label_entries(entries)
    shown, left_out = choose_shown(entries)
    unit = unit_of(experiment, metric, entries)
    series = [to_series(e, i) for i, e in enumerate(shown)]
    scale = ip.choose_scale(unit, [p.high for s in series for p in s.points])

    fig, (ax,) = ip.new_figure(10, 5.2)
    draw_axes(ax, series, scale, trend["runs"])
    ax.set_ylabel(ip.axis_label(f"median of {quantity(metric, unit, scale)}", scale))
    ax.legend(handles=ip.legend_handles(series), loc="upper left",
              bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle(f"Trend of {experiment} {metric} across {len(trend['runs'])} runs "
                 f"(ordered by {trend.get('order', '?')})")

    notes = figure_notes(series, constants, shown, left_out, len(entries))
    ip.add_notes(fig, notes, footer)
    return ip.save_figure(fig, out_dir, f"trend-{file_part(experiment)}-{file_part(metric)}")


def unit_of(experiment, metric, entries):
    """The one unit of a figure's series; TrendError if they disagree or lack one."""
    units = sorted({e.unit for e in entries})
    if len(units) != 1 or not units[0]:
        raise TrendError(f"{experiment} {metric}: the series need one unit, "
                         f"they give {', '.join(repr(u) for u in units)}")
    return units[0]


def quantity(metric, unit, scale):
    """The metric's name for an axis label, without a time unit the axis does not use.

    latency_p99_ns (unit ns) drawn in ms reads as latency_p99, so the label
    names one unit; ops_per_s (unit ops/s) stays as it is.
    """
    name, _, suffix = metric.rpartition("_")
    if name and suffix == unit and unit in ip.TIME_UNITS_NS and scale.unit != unit:
        return name
    return metric


def draw_axes(ax, series, scale, runs):
    """Series shifted sideways, runs as x ticks, y from 0 when every value is positive."""
    run_xs = list(range(len(runs)))
    for i, s in enumerate(series):
        ip.draw_series(ax, s, scale, run_xs, shift=(i - (len(series) - 1) / 2) * SHIFT_STEP)
    ax.set_xticks(run_xs)
    crowded = len(runs) > CROWDED_RUNS
    ax.set_xticklabels([tick_label(r) for r in runs], fontsize=8,
                       rotation=25 if crowded else 0, ha="right" if crowded else "center",
                       rotation_mode="anchor")
    ax.set_xlim(-0.5, len(runs) - 0.5)
    ax.set_xlabel("run")
    ax.yaxis.set_major_formatter(ip.number_formatter(scale))
    if all(p.low >= 0 for s in series for p in s.points):
        ax.set_ylim(bottom=0)
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    ip.mark_empty(ax, series)


def tick_label(run):
    """Kernel release over start time, e.g. '6.18.44\\n2026-12-03 13:15 UTC'."""
    return f"{run.get('kernel_release') or '?'}\n{ip.short_time(run.get('start_time'))}"


def file_part(name):
    """A name made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name) or "_"


# ---------------------------------------------------------------- notes


def figure_notes(series, constants, shown, left_out, total):
    """Constant parameters, dispersion, left-out series and missing points."""
    notes = []
    if constants:
        notes.append("Same in every series: "
                     + " ".join(f"{n}={v}" for n, v in constants) + ".")
    notes.append(ip.dispersion_note(series))
    if any(e.change is not None for e in shown):
        notes.append("In brackets in the legend: relative change of the median from the first "
                     "to the last run that measured the series.")
    if any(not p.trustworthy for s in series for p in s.points):
        notes.append("Hollow markers: points their run marked untrustworthy (the reasons are in "
                     "that run's results.csv).")
    notes += [left_out_note(left_out, total), missing_note(shown)]
    return [n for n in notes if n]


def left_out_note(left_out, total):
    """Which series were not drawn, when there were more than MAX_SERIES."""
    if not left_out:
        return None
    named = [f"{e.label} ({format_change(e.change) if e.change is not None else 'one run'})"
             for e in left_out[:MAX_NAMED]]
    more = len(left_out) - len(named)
    tail = f"; and {more} more" if more else ""
    return (f"{len(left_out)} of {total} series left out (only the {MAX_SERIES} with the "
            f"largest relative change are drawn; ties keep the input order): "
            + "; ".join(named) + tail + ".")


def missing_note(shown):
    """Series that some runs did not measure (the line breaks there)."""
    lines = []
    for e in shown:
        missing = [str(i) for i, p in enumerate(e.points) if p is None]
        if missing:
            lines.append(f"• {e.label}: run {', '.join(missing)}")
    if not lines:
        return None
    return "No point in some runs (not measured there; lines break):\n" + "\n".join(lines)


def footer_text(trend, path):
    """Where the data came from: each run's directory and git revision, and the JSON."""
    runs = "; ".join(
        f"{i}: {r.get('dir', '?')} (git {r.get('isocost_git_revision') or '?'})"
        for i, r in enumerate(trend["runs"]))
    return f"Runs: {runs}\nFrom {source_name(path)} (isocost trend --json, schema {SCHEMA_VERSION})"


# ---------------------------------------------------------------- main


def parse_args(argv):
    """Command line: TREND_JSON and --out."""
    parser = argparse.ArgumentParser(
        prog="trend_plot.py",
        description="Draw one figure per experiment and metric from the JSON printed by "
                    "'isocost trend --json': the median (min-max error bars) of each series "
                    "across the runs, as PNG and SVG files named "
                    "trend-<experiment>-<metric>, and print the path of each file written.",
        epilog=f"At most {MAX_SERIES} series are drawn per figure: those whose median changed "
               "most between the first and last run; a note names the others.  Exit status: "
               "0 on success, 1 if a figure cannot be written, 2 if TREND_JSON is missing "
               "or malformed.")
    parser.add_argument("trend_json", metavar="TREND_JSON",
                        help="output of 'isocost trend --json', or - for standard input")
    parser.add_argument("--out", metavar="DIR", default=".",
                        help="directory for the figures (created if needed; default: the "
                             "current directory)")
    return parser.parse_args(argv)


def plot_all(trend, path, out_dir):
    """Draw every (experiment, metric) figure; return the paths written."""
    footer = footer_text(trend, path)
    groups = group_series(trend)
    if not groups:
        print(f"trend_plot: note: {source_name(path)} has no series; nothing to draw",
              file=sys.stderr)

    paths = []
    for (experiment, metric), entries in groups.items():
        paths += plot_group(trend, experiment, metric, entries, out_dir, footer)
    return paths


def main(argv=None):
    """Load the trend JSON, draw its figures, print their paths; return the exit status."""
    args = parse_args(argv)

    return ip.draw_and_report(
        "trend_plot", lambda: plot_all(load_trend(args.trend_json), args.trend_json, args.out),
        args.out, bad_input=(TrendError,))


if __name__ == "__main__":
    sys.exit(main())
