"""Figure 3 of the SOCK study: namespace creation and cleanup latency.

Three figures from the `ns_latency` rows of a results.csv:
- fig3-ns-latency: mean latency per namespace (metrics create_latency_mean_ns
  and cleanup_latency_mean_ns) against concurrent operations, log-log, the
  four costliest series (highest latency at any concurrency), as in the paper;
- fig3-ns-latency-all: the same with every series measured;
- fig3-rcu-share: the share of each latency spent blocked in an RCU
  grace-period waiter (create_rcu_wait_fraction, cleanup_rcu_wait_fraction).

A series is one operation type (op) and phase (create or cleanup).  The
calibration operations (membarrier, getppid) are drawn dashed: getppid's
cleanup is a process exit with no namespace, the baseline of every cleanup.
Markers are medians over repetitions, error bars span min to max, hollow
markers are untrustworthy points; points that failed or the host could not
run are listed under the figure.  Units come from the CSV's unit column.
"""

import dataclasses

import isocost_plot as ip

EXPERIMENT = "ns_latency"
X_PARAM = "concurrency"
PHASES = ("create", "cleanup")
CALIBRATION = ("membarrier", "getppid")
COSTLIEST = 4
PHASE_WORDS = {"create": "creation", "cleanup": "cleanup"}
TITLE = "Figure 3: namespace creation and cleanup latency against concurrent operations"
RCU_TITLE = "Figure 3, where the time goes: share of each latency spent waiting for RCU"


def plot(results, run_info, out_dir, variant=None):
    """Draw the figure-3 figures into out_dir; return the paths written."""
    variant = ip.Variant() if variant is None else variant
    variant = dataclasses.replace(variant, footer=variant.footer_for(run_info))
    ip.require_parameters(results, EXPERIMENT, (X_PARAM, "op"))
    rows = ip.select(results.rows, EXPERIMENT)
    all_xs = sorted({r[X_PARAM] for r in rows if isinstance(r[X_PARAM], (int, float))})

    latency = build_series(rows, "latency_mean_ns")
    ranked = [s for s in sorted(latency, key=peak, reverse=True) if not calibration(s)]
    paths = []
    paths += draw(rows, ranked[:COSTLIEST], all_xs, variant, out_dir, "fig3-ns-latency",
                  TITLE + f" (the {COSTLIEST} costliest series)", "latency per namespace",
                  log_y=True)
    paths += draw(rows, latency, all_xs, variant, out_dir, "fig3-ns-latency-all",
                  TITLE + " (all series)", "latency per namespace", log_y=True)
    shares = [s for s in build_series(rows, "rcu_wait_fraction") if peak(s) > 0]
    paths += draw(rows, shares, all_xs, variant, out_dir, "fig3-rcu-share", RCU_TITLE,
                  "share of the latency blocked in an RCU grace-period waiter", log_y=False)
    return paths


# One color per op (up to ten: the eight types and two calibrations), so
# that no two series of a figure share one.
OP_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
             "tab:pink", "tab:olive", "tab:cyan", "tab:gray")


def calibration(series):
    """Whether a series is of a calibration operation, not a namespace."""
    return series.key[0] in CALIBRATION


def peak(series):
    """A series' highest median, for ranking; 0 when it has no point."""
    return max((p.y for p in series.points), default=0.0)


def build_series(rows, suffix):
    """One series per (op, phase) of metric <phase>_<suffix>, styled by phase."""
    ops = list(dict.fromkeys(r["op"] for r in rows))
    series = []
    for i, op in enumerate(ops):
        for phase in PHASES:
            metric = f"{phase}_{suffix}"
            chosen = [r for r in ip.select(rows, EXPERIMENT, metrics=(metric,), statuses=("ok",))
                      if r["op"] == op and r["value"] is not None]
            s = ip.Series(key=(op, phase, metric), label=f"{op} {PHASE_WORDS[phase]}",
                          color=OP_COLORS[i % len(OP_COLORS)],
                          linestyle=("-" if phase == "create" else "--")
                          if op not in CALIBRATION else ":",
                          marker="o" if phase == "create" else "s")
            s.points = sorted((ip.point_of(r, X_PARAM) for r in chosen), key=lambda p: p.x)
            if s.points:
                series.append(s)
    return series


def draw(rows, series, all_xs, variant, out_dir, stem, title, quantity, log_y):
    """One figure: the series against concurrency, notes and footer below."""
    if not series:
        ip.warn(f"{EXPERIMENT}: nothing measured for {stem}; not drawn")
        return []
    metrics = {s.key[2] for s in series}
    units = {ip.unit_of(rows, m) for m in metrics}
    if len(units) != 1:
        raise ip.ResultsError(f"{stem}: metrics in several units: {', '.join(sorted(units))}")
    scale = ip.choose_scale(units.pop(), [p.high for s in series for p in s.points])

    fig, (ax,) = ip.new_figure(10, 5.6)
    for s, dodge in zip(series, ip.dodge_factors(len(series))):
        ip.draw_series(ax, s, scale, all_xs, dodge)
    ip.set_log2_x(ax, all_xs, "concurrent operations (released together)")
    if log_y:
        ip.set_log_y(ax, scale)
    else:
        ax.set_ylim(0, 1.05)
    ax.set_ylabel(ip.axis_label(quantity, scale))
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.legend(handles=ip.legend_handles(series), loc="upper left", bbox_to_anchor=(1.02, 1.0),
              fontsize=9, frameon=False)
    fig.suptitle(title + variant.title_suffix)
    ip.add_notes(fig, notes(rows, series), variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + stem)


def notes(rows, series):
    """What the figure shows, and the points that were not measured or are suspect."""
    lines = [ip.dispersion_note(series),
             "Solid: creation (the unshare call); dashed: cleanup (from exit_group until the "
             "namespace's teardown finished, deferred work included); dotted: calibration "
             "operations (membarrier waits for a grace period, getppid does not; getppid's "
             "cleanup is a plain process exit)."]
    ops = {s.key[0] for s in series}
    for title, status in (("Not measured on this host", "unsupported"), ("Failed", "failed")):
        bad = {(r["op"], r[X_PARAM], r["note"]) for r in rows
               if r["status"] == status and r["op"] in ops}
        if bad:
            lines.append(title + ":\n" + "\n".join(f"• {op} at {x}: {note}"
                                                   for op, x, note in sorted(bad)))
    suspect = sorted({(r["op"], r[X_PARAM]) for r in rows
                      if r["status"] == "ok" and r["trustworthy"] is False and r["op"] in ops})
    if suspect:
        lines.append("Untrustworthy (hollow markers; see results.csv notes): " +
                     ", ".join(f"{op} at {x}" for op, x in suspect))
    return lines

