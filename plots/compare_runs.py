#!/usr/bin/python3
"""Draw each figure of two isocost runs with the runs overlaid, BASE against NEW.

Usage: compare_runs.py BASE_RUN NEW_RUN [--out DIR]

Both runs' results.csv are read and joined into one table with one more
parameter, `run` (base or new); the figure scripts of plot_run.PLOTTERS then
draw it as they draw a single run, so color still follows each figure's first
parameter (the pattern in figure 5) and line style tells base from new.  A
parameter column that only one run has reads as empty in the other.  Files are
named compare-<figure>.png and .svg; their paths are printed on stdout, one per
line, and diagnostics go to stderr.  Every plotter in PLOTTERS must accept the
keyword argument variant (an isocost_plot.Variant).

Run it with an interpreter that has matplotlib: "$(scripts/find-python)".
"""

import argparse
import os
import sys

import isocost_plot as ip
from plot_run import NOT_PLOTTED, PLOTTERS, experiments_in, plot_all

RUN_PARAM = "run"
ROLES = ("base", "new")
STEM_PREFIX = "compare-"
TITLE_SUFFIX = ": base and new run overlaid"


def parse_args(argv):
    """Command line: BASE_RUN, NEW_RUN and --out."""
    parser = argparse.ArgumentParser(
        prog="compare_runs.py",
        description="Draw the figures of two isocost run directories overlaid (BASE_RUN "
                    "and NEW_RUN, told apart by line style or marker) as PNG and SVG files named "
                    "compare-<figure>, and print the path of each file written.",
        epilog="The legend names each run by its kernel release and start time (from "
               "run.json).  Experiments with a figure: " + ", ".join(sorted(PLOTTERS)) + ". "
               "Exit status: 0 on success, 1 if a figure cannot be written, 2 if a run "
               "directory or its results.csv is missing or malformed.")
    parser.add_argument("base_run", metavar="BASE_RUN",
                        help="run directory of the reference run (results.csv, run.json)")
    parser.add_argument("new_run", metavar="NEW_RUN",
                        help="run directory of the run to compare against BASE_RUN")
    parser.add_argument("--out", metavar="DIR",
                        help="directory for the figures (created if needed; default: NEW_RUN)")
    return parser.parse_args(argv)


def load_run(role, run_dir):
    """(Results, run.json dict) of one run; ResultsError if results.csv is unusable."""
    if not os.path.isdir(run_dir):
        raise ip.ResultsError(f"reading the {role} run {run_dir}: not a directory")
    results = ip.load_results(os.path.join(run_dir, "results.csv"))
    if RUN_PARAM in results.parameters:
        raise ip.ResultsError(f"reading {results.path}: it already has a column named "
                              f"'{RUN_PARAM}', which the comparison needs for itself")
    info, problem = ip.load_run_info(os.path.join(run_dir, "run.json"))
    if problem:
        ip.warn(f"{problem}; the legend names the {role} run by its directory")
    return results, info


def legend_label(role, run_dir, info):
    """'base (6.18.44, 2026-12-03 13:15 UTC)', or the directory when run.json is unknown."""
    if not info:
        return f"{role} ({run_dir})"
    host = info.get("host") if isinstance(info.get("host"), dict) else {}
    return f"{role} ({ip.run_caption(host.get('kernel_release'), info.get('start_time'))})"


def merge(runs):
    """One Results from (role, Results) pairs: the union of parameters plus `run`."""
    parameters = []
    for _, results in runs:
        parameters += [p for p in results.parameters if p not in parameters]

    rows = []
    for role, results in runs:
        for row in results.rows:
            merged = {p: None for p in parameters}
            merged.update(row)
            merged[RUN_PARAM] = role
            rows.append(merged)
    path = " and ".join(results.path for _, results in runs)
    return ip.Results(path, parameters + [RUN_PARAM], rows)


def make_variant(described):
    """The Variant for (role, run_dir, run.json) triples: compare-* files, a legend key
    naming each run by kernel and start time, and a footer with the facts of both."""
    return ip.Variant(
        stem_prefix=STEM_PREFIX,
        title_suffix=TITLE_SUFFIX,
        footer=ip.compare_footer([(f"{role} run {run_dir}", info)
                                  for role, run_dir, info in described]),
        lead_params=(RUN_PARAM,),
        value_labels={RUN_PARAM: {role: role for role in ROLES}},
        key_labels={RUN_PARAM: {role: legend_label(role, run_dir, info)
                                for role, run_dir, info in described}},
    )


def note_one_sided(runs):
    """Tell on stderr about experiments that only one of the runs measured."""
    present = {role: set(experiments_in(results.rows)) for role, results in runs}
    for role, other in (ROLES, ROLES[::-1]):
        for experiment in sorted(present[role] - present[other] - set(NOT_PLOTTED)):
            print(f"compare_runs: note: only the {role} run has experiment '{experiment}'; "
                  "its figures show that run alone", file=sys.stderr)


def plot_compared(results, variant, out_dir):
    """Draw every figure of the joined runs; return the paths written."""
    return plot_all(results, {}, out_dir, variant=variant, prog="compare_runs")


def load_both(args):
    """Load both runs; return (merged Results, Variant)."""
    if os.path.realpath(args.base_run) == os.path.realpath(args.new_run):
        ip.warn(f"BASE_RUN and NEW_RUN are the same directory ({args.base_run}); "
                "the two sets of lines will coincide")
    runs, described = [], []
    for role, run_dir in zip(ROLES, (args.base_run, args.new_run)):
        results, info = load_run(role, run_dir)
        runs.append((role, results))
        described.append((role, run_dir, info))

    note_one_sided(runs)
    merged = merge(runs)
    if not merged.rows:
        print(f"compare_runs: note: {merged.path} have no rows; nothing to draw",
              file=sys.stderr)
    return merged, make_variant(described)


def main(argv=None):
    """Load both runs, draw the overlaid figures, print their paths; return the exit status."""
    args = parse_args(argv)
    out_dir = args.out or args.new_run

    def draw():
        results, variant = load_both(args)
        return plot_compared(results, variant, out_dir)

    return ip.draw_and_report("compare_runs", draw, out_dir)


if __name__ == "__main__":
    sys.exit(main())
