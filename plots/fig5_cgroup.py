"""Figure 5 of the SOCK study: cgroup create+delete against reuse from a pool.

Two figures from the `cgroup` rows of a results.csv:
- fig5-cgroup: cgroup operations per second (metric ops_per_s) against threads;
- fig5-cgroup-latency: p50 and p99 latency per operation against threads.

One series per pattern (create, reuse) and per value of every other parameter
that varies in the run (cgroup version, join method, controllers, ...).  Color
follows the pattern, line style the next varying parameter.  Markers are
medians over repetitions, error bars span min to max, hollow markers are
untrustworthy points, and points the host could not run are listed under the
figure with the reason.  Units come from the CSV's unit column.

An isocost_plot.Variant changes file names, titles, footer and legend words,
e.g. for compare_runs.py, which overlays two runs through a `run` parameter.
"""

import dataclasses

import isocost_plot as ip

EXPERIMENT = "cgroup"
X_PARAM = "threads"
THROUGHPUT_METRIC = "ops_per_s"
LATENCY_METRICS = (("latency_p50_ns", "p50"), ("latency_p99_ns", "p99"))

# Order in which varying parameters claim color, line style and marker.
DIM_ORDER = ("pattern", "cgroup_version", "join", "v2_controllers", "v1_hierarchies",
             "pool_size", "config")
# A parameter that means something only when another one has a given value.
RELEVANT_WHEN = {
    "v1_hierarchies": ("cgroup_version", "v1"),
    "v2_controllers": ("cgroup_version", "v2"),
    "pool_size": ("pattern", "reuse"),
}
PATTERN_WORDS = {"create": "create+delete", "reuse": "reuse from pool"}
JOIN_WORDS = {"procs": "join via cgroup.procs", "clone3": "join via clone3"}

TITLE = "Figure 5: cgroup create+delete vs reuse from a pool"
LATENCY_TITLE = "Figure 5, latency: time per cgroup operation (p50 and p99)"


def relevant(param, row):
    """Whether a parameter means something for this row (see RELEVANT_WHEN)."""
    if param not in RELEVANT_WHEN:
        return True
    other, value = RELEVANT_WHEN[param]
    return row.get(other) == value


def describe(param, value):
    """Legend words for one parameter value."""
    words = {
        "pattern": lambda v: PATTERN_WORDS.get(v, f"pattern {v}"),
        "cgroup_version": lambda v: f"cgroup {v}",
        "join": lambda v: JOIN_WORDS.get(v, f"join via {v}"),
        "v2_controllers": lambda v: f"controllers: {v}",
        "v1_hierarchies": lambda v: f"hierarchies: {v}",
        "pool_size": lambda v: f"pool of {v}",
        "config": lambda v: f"config {v}",
    }
    return words.get(param, lambda v: f"{param}={v}")(value)


def plot(results, run_info, out_dir, variant=None):
    """Draw both figure-5 figures into out_dir; return the paths written.

    variant (an isocost_plot.Variant) adapts names, titles, footer and legend
    words; None draws the run's own figures.
    """
    variant = ip.Variant() if variant is None else variant
    variant = dataclasses.replace(variant, footer=variant.footer_for(run_info))
    ip.require_parameters(results, EXPERIMENT, (X_PARAM, "pattern"))
    rows = ip.select(results.rows, EXPERIMENT)
    layout = ip.SeriesLayout(rows, results.parameters + ["config"], X_PARAM,
                             variant.dim_order(DIM_ORDER), relevant,
                             variant.describe(describe))

    paths = []
    paths += plot_throughput(rows, layout, variant, out_dir)
    paths += plot_latency(rows, layout, variant, out_dir)
    return paths


def plot_throughput(rows, layout, variant, out_dir):
    """fig5-cgroup: operations per second against threads."""
    chosen = ip.select(rows, EXPERIMENT, metrics=(THROUGHPUT_METRIC,))
    if not chosen:
        ip.warn(f"{EXPERIMENT}: no {THROUGHPUT_METRIC} rows; fig5-cgroup not drawn")
        return []

    series = layout.build(chosen)
    scale = ip.choose_scale(ip.unit_of(chosen, THROUGHPUT_METRIC),
                            [p.high for s in series for p in s.points])
    fig, (ax,) = ip.new_figure(9.5, 5.2)
    draw_panel(ax, series, scale, x_values(rows), log_y=False)
    ax.set_ylabel(ip.axis_label("cgroup operations per second", scale))
    handles = ip.legend_handles(series) + variant.legend_key(layout)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9,
              frameon=False)
    fig.suptitle(TITLE + variant.title_suffix)

    notes = figure_notes(series, chosen, rows, layout)
    ip.add_notes(fig, notes, variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + "fig5-cgroup")


def plot_latency(rows, layout, variant, out_dir):
    """fig5-cgroup-latency: p50 and p99 latency against threads, log y."""
    metrics = [m for m, _ in LATENCY_METRICS]
    chosen = ip.select(rows, EXPERIMENT, metrics=metrics)
    if not chosen:
        ip.warn(f"{EXPERIMENT}: no {' or '.join(metrics)} rows; fig5-cgroup-latency not drawn")
        return []

    panels = [(m, name, layout.build(ip.select(chosen, EXPERIMENT, metrics=(m,))))
              for m, name in LATENCY_METRICS]
    scales = latency_scales(chosen, panels)
    same_unit = len({s.unit for s in scales}) == 1
    fig, axes = ip.new_figure(13, 5.2, ncols=len(panels), sharey=same_unit)

    for ax, (metric, name, series), scale in zip(axes, panels, scales):
        draw_panel(ax, series, scale, x_values(rows), log_y=True)
        ax.set_title(f"{name} latency ({metric})", fontsize=10)
        if not same_unit:
            ax.set_ylabel(ip.axis_label(f"{name} latency per operation", scale))
    if same_unit:
        axes[0].set_ylabel(ip.axis_label("latency per operation", scales[0]))
    all_series = [s for _, _, series in panels for s in series]
    handles = ip.legend_handles(unique_by_label(all_series)) + variant.legend_key(layout)
    axes[-1].legend(handles=handles,
                    loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle(LATENCY_TITLE + variant.title_suffix)

    notes = figure_notes(all_series, chosen, rows, layout)
    ip.add_notes(fig, notes, variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + "fig5-cgroup-latency")


def latency_scales(rows, panels):
    """One scale per latency panel; shared when the panels share a unit."""
    units = [ip.unit_of(rows, metric) for metric, _, _ in panels]
    if len(set(units)) == 1:
        values = [p.high for _, _, series in panels for s in series for p in s.points]
        return [ip.choose_scale(units[0], values)] * len(panels)
    return [ip.choose_scale(u, [p.high for s in series for p in s.points])
            for u, (_, _, series) in zip(units, panels)]


def draw_panel(ax, series, scale, all_xs, log_y):
    """Draw every series on one axes: log2 threads axis, linear-from-0 or log y, grid."""
    for s, dodge in zip(series, ip.dodge_factors(len(series))):
        ip.draw_series(ax, s, scale, all_xs, dodge)
    ip.set_log2_x(ax, all_xs, "threads")
    if log_y:
        ip.set_log_y(ax, scale)
    else:
        ax.yaxis.set_major_formatter(ip.number_formatter(scale))
        ax.set_ylim(bottom=0)
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    ip.mark_empty(ax, series)


def figure_notes(series, chosen, rows, layout):
    """Notes under a figure: fixed parameters, dispersion, what was not measured."""
    notes = [layout.constants_note(), ip.dispersion_note(series)]
    notes += ip.status_notes(rows_or_all(chosen, rows), layout, x_values(rows))
    return [n for n in notes if n]


def x_values(rows):
    """Every thread count that appears in the experiment's rows, measured or not."""
    return sorted({r[X_PARAM] for r in rows if isinstance(r[X_PARAM], (int, float))})


def rows_or_all(chosen, rows):
    """Rows for the notes: the figure's metrics, plus status rows that lack a metric.

    A harness may write a single row without a metric for a point it could not
    run; such rows belong in the notes of every figure.
    """
    return chosen + [r for r in rows if r["status"] != "ok" and r["metric"] == ""]


def unique_by_label(series):
    """Series with distinct labels, first occurrence kept (for a shared legend)."""
    seen = {}
    for s in series:
        seen.setdefault(s.label, s)
    return list(seen.values())
