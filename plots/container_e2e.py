"""Containers end to end: the `container` rows of a results.csv.

Two figures:
- container-rate: containers per second (ops_per_s) against containers
  built at once, one line per recipe (and per other varying parameter);
- container-steps: where a container's time goes, the mean time of each
  step (cgroup, root, spawn, ready, request, exit, teardown) per recipe, at
  the lowest concurrency measured, as stacked bars.

Markers are medians over repetitions, error bars span min to max, hollow
markers are untrustworthy points; points the host could not run are listed
under the figure with the reason.
"""

import dataclasses
import os

import isocost_plot as ip

EXPERIMENT = "container_e2e"
X_PARAM = "threads"
DIM_ORDER = ("recipe", "root", "root_switch", "namespaces", "loopback", "mount_proc", "cgroup",
             "cgroup_version", "config")
# Parameters a recipe sets: a row with a recipe is labelled by the recipe alone.
RECIPE_PARAMS = ("root", "root_switch", "namespaces", "loopback", "mount_proc", "cgroup")
STEPS = ("cgroup", "root", "spawn", "ready", "request", "exit", "teardown")
STEP_COLORS = ("tab:purple", "tab:orange", "tab:blue", "tab:green", "tab:red", "tab:brown",
               "tab:gray")


def relevant(param, row):
    """A recipe's own choices are named by the recipe, not one by one."""
    return not (param in RECIPE_PARAMS and row.get("recipe"))


def describe(param, value):
    """Legend words for one parameter value."""
    if param == "recipe":
        return os.path.splitext(os.path.basename(str(value)))[0] or "no recipe"
    return f"{param}={value}"


def plot(results, run_info, out_dir, variant=None):
    """Draw both container figures into out_dir; return the paths written."""
    variant = ip.Variant() if variant is None else variant
    variant = dataclasses.replace(variant, footer=variant.footer_for(run_info))
    ip.require_parameters(results, EXPERIMENT, (X_PARAM, "recipe"))
    rows = ip.select(results.rows, EXPERIMENT)
    layout = ip.SeriesLayout(rows, results.parameters + ["config"], X_PARAM,
                             variant.dim_order(DIM_ORDER), relevant,
                             variant.describe(describe))
    return plot_rate(rows, layout, variant, out_dir) + plot_steps(rows, layout, variant, out_dir)


def plot_rate(rows, layout, variant, out_dir):
    """container-rate: containers per second against concurrency."""
    chosen = ip.select(rows, EXPERIMENT, metrics=("ops_per_s",))
    if not chosen:
        ip.warn(f"{EXPERIMENT}: no ops_per_s rows; container-rate not drawn")
        return []
    series = layout.build(chosen)
    xs = sorted({r[X_PARAM] for r in rows if isinstance(r[X_PARAM], (int, float))})
    scale = ip.choose_scale(ip.unit_of(chosen, "ops_per_s"),
                            [p.high for s in series for p in s.points])
    fig, (ax,) = ip.new_figure(9.5, 5.2)
    for s, dodge in zip(series, ip.dodge_factors(len(series))):
        ip.draw_series(ax, s, scale, xs, dodge)
    ip.set_log2_x(ax, xs, "containers built at once")
    ax.yaxis.set_major_formatter(ip.number_formatter(scale))
    ax.set_ylim(bottom=0)
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.set_ylabel(ip.axis_label("containers per second (create, serve, destroy)", scale))
    ax.legend(handles=ip.legend_handles(series) + variant.legend_key(layout), loc="upper left",
              bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    ip.mark_empty(ax, series)
    fig.suptitle("Containers end to end, by recipe" + variant.title_suffix)
    notes = [layout.constants_note(), ip.dispersion_note(series)]
    notes += ip.status_notes(chosen, layout, xs)
    ip.add_notes(fig, [n for n in notes if n], variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + "container-rate")


def plot_steps(rows, layout, variant, out_dir):
    """container-steps: mean time per step, stacked, one bar per series."""
    metrics = [f"{s}_ns_per_op" for s in STEPS]
    chosen = [r for r in ip.select(rows, EXPERIMENT, metrics=metrics) if r["status"] == "ok"]
    if not chosen:
        ip.warn(f"{EXPERIMENT}: no step rows; container-steps not drawn")
        return []
    lowest = min(r[X_PARAM] for r in chosen)
    chosen = [r for r in chosen if r[X_PARAM] == lowest]
    keys = sorted({layout.key(r) for r in chosen}, key=ip.sort_key)
    values = {(layout.key(r), r["metric"]): r["median"] for r in chosen}
    scale = ip.choose_scale("ns", [sum(values.get((k, m), 0) for m in metrics) for k in keys])

    fig, (ax,) = ip.new_figure(9.5, 5.2)
    bottoms = [0.0] * len(keys)
    for step, metric, color in zip(STEPS, metrics, STEP_COLORS):
        heights = [values.get((k, metric), 0) * scale.factor for k in keys]
        ax.bar(range(len(keys)), heights, bottom=bottoms, color=color, label=step)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_xticks(range(len(keys)), [layout.label(k) for k in keys], fontsize=9)
    ax.set_ylabel(ip.axis_label("mean time per container", scale))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False,
              title="step")
    ax.grid(True, axis="y", color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    fig.suptitle(f"Where a container's time goes ({lowest} built at once)" +
                 variant.title_suffix)
    ip.add_notes(fig, [layout.constants_note() or ""], variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + "container-steps")
