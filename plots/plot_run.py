#!/usr/bin/python3
"""Draw every figure isocost knows how to draw for one run directory.

Usage: plot_run.py RUN_DIR [--out DIR]

Reads RUN_DIR/results.csv and RUN_DIR/run.json, draws the figures of each
experiment found in the CSV that has a plotter in PLOTTERS, and prints the path
of every file written, one per line, on stdout.  Diagnostics go to stderr.
Run it with an interpreter that has matplotlib: "$(scripts/find-python)".
"""

import argparse
import os
import sys

import container_e2e
import fig2_mntns
import fig4_netns
import fig3_ns_latency
import fig5_cgroup
import isocost_plot as ip
import storage

# Experiment name -> function(results, run_info, out_dir) returning the paths written.
# Adding a figure script is one line here.
PLOTTERS = {
    "cgroup": fig5_cgroup.plot,
    "container_e2e": container_e2e.plot,
    "mntns": fig2_mntns.plot,
    "container": fig4_netns.plot,
    "netns_interference": fig4_netns.plot_interference_run,
    "storage": storage.plot_storage,
    "storage_cow": storage.plot_cow,
    "switch_root": storage.plot_switch_root,
    "umount": storage.plot_umount,
    "ns_latency": fig3_ns_latency.plot,
}
# Experiments whose rows are never plotted, and why.
NOT_PLOTTED = {
    "harness": "harness overhead rows are reported in results.csv only",
}



def parse_args(argv):
    """Command line: RUN_DIR and --out."""
    parser = argparse.ArgumentParser(
        prog="plot_run.py",
        description="Draw the figures of an isocost run directory (results.csv and run.json) "
                    "as PNG and SVG, and print the path of each file written.",
        epilog="Experiments with a figure: " + ", ".join(sorted(PLOTTERS)) + ". "
               "Exit status: 0 on success (an experiment without a figure only gets a note "
               "on stderr), 1 if a figure cannot be written, 2 if results.csv is missing "
               "or malformed.")
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="run directory holding results.csv and run.json")
    parser.add_argument("--out", metavar="DIR",
                        help="directory for the figures (created if needed; default: RUN_DIR)")
    return parser.parse_args(argv)


def experiments_in(rows):
    """Experiment names in order of first appearance."""
    return list(dict.fromkeys(r["experiment"] for r in rows))


def plot_all(results, run_info, out_dir, variant=None, prog="plot_run"):
    """Run the plotter of each experiment present; return the paths written."""
    paths = []
    for experiment in experiments_in(results.rows):
        if experiment in NOT_PLOTTED:
            continue
        plotter = PLOTTERS.get(experiment)
        if plotter is None:
            print(f"{prog}: note: no figure for experiment '{experiment}'; its rows are "
                  "skipped", file=sys.stderr)
            continue
        paths += plotter(results, run_info, out_dir, variant=variant)
    return paths


def main(argv=None):
    """Load the run, draw its figures, print their paths; return the exit status."""
    args = parse_args(argv)
    out_dir = args.out or args.run_dir

    try:
        results = ip.load_results(os.path.join(args.run_dir, "results.csv"))
    except ip.ResultsError as e:
        print(f"plot_run: {e}", file=sys.stderr)
        return ip.EXIT_BAD_INPUT
    if not results.rows:
        print(f"plot_run: note: {results.path} has no rows; nothing to draw", file=sys.stderr)

    run_info, problem = ip.load_run_info(os.path.join(args.run_dir, "run.json"))
    if problem:
        ip.warn(problem)

    return ip.draw_and_report("plot_run", lambda: plot_all(results, run_info, out_dir), out_dir)


if __name__ == "__main__":
    sys.exit(main())
