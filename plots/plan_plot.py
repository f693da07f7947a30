#!/usr/bin/python3
"""Draw `isocost plan --json` output: predicted against measured containers/s.

Usage: plan_plot.py PLAN_JSON [--out DIR]

One figure, plan.png and plan.svg: for each recipe and concurrency, a bar for
the predicted rate (error bar: the 90% bootstrap interval) beside a bar for
the rate the container experiment measured, and the relative error above the
pair; pairs outside the tolerance are marked.  PLAN_JSON may be - for stdin.
Paths of the files written are printed on stdout; diagnostics go to stderr.
Run it with an interpreter that has matplotlib: "$(scripts/find-python)".
"""

import argparse
import json
import sys

import isocost_plot as ip


class PlanError(Exception):
    """The plan JSON cannot be used as it is."""


def load(path):
    """The predictions of a plan JSON file (or stdin for -)."""
    try:
        if path == "-":
            plan = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as f:
                plan = json.load(f)
    except (OSError, ValueError) as e:
        raise PlanError(f"reading {path}: {e}") from e
    predictions = plan.get("predictions") if isinstance(plan, dict) else None
    if not isinstance(predictions, list) or not predictions:
        raise PlanError(f"{path}: no 'predictions' list; is it `isocost plan --json` output?")
    return plan, predictions


def draw(plan, predictions, out_dir):
    """Grouped bars, predicted and measured, per recipe and concurrency."""
    labels = [f"{p['recipe']}\n{p['threads']} at once" for p in predictions]
    predicted = [p["predicted_ops_per_s"] for p in predictions]
    low = [p["predicted_ops_per_s"] - p["predicted_ops_per_s_90"][0] for p in predictions]
    high = [p["predicted_ops_per_s_90"][1] - p["predicted_ops_per_s"] for p in predictions]
    measured = [p["measured_ops_per_s"] or 0 for p in predictions]
    xs = range(len(predictions))

    fig, (ax,) = ip.new_figure(max(6, 1.3 * len(predictions) + 2), 5)
    ax.bar([x - 0.2 for x in xs], predicted, 0.4, yerr=[low, high], capsize=3,
           color="tab:blue", label="predicted (90% interval)")
    ax.bar([x + 0.2 for x in xs], measured, 0.4, color="tab:orange", label="measured")
    for x, p in zip(xs, predictions):
        if p.get("error") is None:
            continue
        outside = p.get("verdict") == "OUTSIDE"
        ax.annotate(f"{100 * p['error']:+.0f}%" + (" !" if outside else ""),
                    (x, max(p["predicted_ops_per_s_90"][1], measured[x])),
                    textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8,
                    color="tab:red" if outside else "0.2")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel("containers per second")
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y", color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle("isocost plan: predicted against measured containers per second")
    tolerance = plan.get("tolerance", 0.25)
    limits = sorted({f"{p['recipe']}: {p['limiting_step']}" for p in predictions})
    notes = [f"Labels: (predicted - measured) / measured; ! marks an error above "
             f"{100 * tolerance:.0f}%.", "Limiting step: " + "; ".join(limits) + "."]
    missing = sorted({f"{p['recipe']}: {m}" for p in predictions for m in p["missing_steps"]})
    if missing:
        notes.append("Not measured by the runs given, left out of the prediction: " +
                     "; ".join(missing) + ".")
    ip.add_notes(fig, notes, "")
    return ip.save_figure(fig, out_dir, "plan")


def main(argv=None):
    """Load the plan JSON, draw, print the paths; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="plan_plot.py",
        description="Draw predicted against measured containers per second from "
                    "`isocost plan --json` output.",
        epilog="Exit status: 0 on success, 1 if the figure cannot be written, 2 if the "
               "JSON is missing or malformed.")
    parser.add_argument("plan", metavar="PLAN_JSON", help="the JSON, or - for stdin")
    parser.add_argument("--out", metavar="DIR", default=".", help="directory for the figure")
    args = parser.parse_args(argv)
    try:
        plan, predictions = load(args.plan)
    except PlanError as e:
        print(f"plan_plot: {e}", file=sys.stderr)
        return ip.EXIT_BAD_INPUT
    return ip.draw_and_report("plan_plot", lambda: draw(plan, predictions, args.out), args.out,
                              bad_input=(KeyError, TypeError))


if __name__ == "__main__":
    sys.exit(main())
