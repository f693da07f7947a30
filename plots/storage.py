"""The storage experiments: union file systems against bind mounts.

One plotter per experiment, each drawing from the rows of a results.csv:
- storage: container roots mounted+unmounted per second (ops_per_s), against
  threads or, for a config that sweeps them, against lower layers; one
  figure per config (storage-mount, storage-layers, ...);
- storage_cow: the write or delete alone (op_latency_p50_ns and p99) against
  file size, one series per backend and operation;
- switch_root: the switch alone and the way back (p50) against threads,
  one series per method;
- umount: per-umount latency (p50, p99) and the share of umount time spent
  off the CPU against the number of mounts, normal against lazy.

Markers are medians over repetitions, error bars min to max, hollow markers
untrustworthy points. A backend this host could not run (AUFS on mainline
kernels) gets a grey legend entry saying so, and the reason in the notes
under the figure. Units come from the CSV's unit column.
"""

import dataclasses

from matplotlib.lines import Line2D

import isocost_plot as ip

DIM_ORDER = ("backend", "method", "operation", "umount", "unmount", "layers", "file_size_kib",
             "mounts", "threads", "base_files", "config")
X_CANDIDATES = ("threads", "layers", "file_size_kib", "mounts")

WORDS = {
    "backend": lambda v: {"bind": "bind mounts (SOCK)"}.get(v, v),
    "method": lambda v: {"mntns": "new mount namespace", "pivot_root":
                         "new mount namespace + pivot_root"}.get(v, v),
    "operation": lambda v: {"write": "first write",
                            "delete": "delete"}.get(v, v),
    "umount": lambda v: {"lazy": "lazy (MNT_DETACH)", "normal": "normal umount"}.get(v, v),
    "unmount": lambda v: f"unmount: {v}",
    "layers": lambda v: f"{v} lower layers",
    "base_files": lambda v: f"base image of {v} files",
    "threads": lambda v: f"{v} threads",
    "file_size_kib": lambda v: f"{v} KiB files",
    "mounts": lambda v: f"{v} mounts",
    "config": lambda v: f"config {v}",
}


def describe(param, value):
    """Legend words for one parameter value."""
    return WORDS.get(param, lambda v: f"{param}={v}")(value)


def relevant(param, row):
    """layers means nothing for bind mounts, which always assemble the same root."""
    return not (param == "layers" and row.get("backend") == "bind")


@dataclasses.dataclass
class Figure:
    """What one figure shows: panels of (metric, panel title, log y)."""

    stem: str
    title: str
    panels: tuple
    x_param: str = None


FIGURES = {
    "storage": Figure("storage", "Storage: container roots mounted and unmounted per second",
                      (("ops_per_s", "mount+unmount of a root (ops_per_s)", False),)),
    "storage_cow": Figure("storage-cow", "Storage: copy-up and whiteout against a bind mount",
                          (("op_latency_p50_ns", "write or delete alone, p50", True),
                           ("op_latency_p99_ns", "write or delete alone, p99", True)),
                          "file_size_kib"),
    "switch_root": Figure("switch-root", "Switching root: chroot, mount namespace, pivot_root",
                          (("switch_latency_p50_ns", "the switch, p50", True),
                           ("back_latency_p50_ns", "the way back, p50", True)), "threads"),
    "umount": Figure("umount-scaling", "umount against the number of mounts",
                     (("umount_latency_p50_ns", "one umount, p50", True),
                      ("umount_latency_p99_ns", "one umount, p99", True),
                      ("umount_offcpu_fraction", "share of umount time off the CPU", False)),
                     "mounts"),
}


def plotter(experiment):
    """The plot(results, run_info, out_dir, variant) function for one experiment."""
    def plot(results, run_info, out_dir, variant=None):
        variant = ip.Variant() if variant is None else variant
        variant = dataclasses.replace(variant, footer=variant.footer_for(run_info))
        rows = ip.select(results.rows, experiment)
        paths = []
        configs = list(dict.fromkeys(r["config"] for r in rows))
        for config in configs:
            chosen = [r for r in rows if r["config"] == config]
            stem = FIGURES[experiment].stem
            if len(configs) > 1:
                stem = config if config.startswith(stem) else f"{stem}-{config}"
            paths += draw(experiment, chosen, results, variant, out_dir, stem)
        return paths
    return plot


def x_param_of(figure, rows):
    """The figure's x parameter, or the first candidate that varies in the rows."""
    if figure.x_param:
        return figure.x_param
    for p in X_CANDIDATES:
        if len({r.get(p) for r in rows if r.get(p) is not None}) > 1:
            return p
    return "threads"


def draw(experiment, rows, results, variant, out_dir, stem):
    """One figure of one config's rows; returns the paths written."""
    figure = FIGURES[experiment]
    x_param = x_param_of(figure, rows)
    ip.require_parameters(results, experiment, (x_param,))
    layout = ip.SeriesLayout(rows, results.parameters + ["config"], x_param,
                             variant.dim_order(DIM_ORDER), relevant, variant.describe(describe))
    xs = sorted({r[x_param] for r in rows if isinstance(r[x_param], (int, float))})
    fig, axes = ip.new_figure(5.2 * len(figure.panels) + 3, 5.0, ncols=len(figure.panels))

    all_series = []
    for ax, (metric, title, log_y) in zip(axes, figure.panels):
        chosen = ip.select(rows, experiment, metrics=(metric,))
        series = layout.build(chosen)
        all_series += series
        scale = ip.choose_scale(ip.unit_of(chosen, metric) if chosen else "",
                                [p.high for s in series for p in s.points])
        draw_panel(ax, series, scale, xs, x_param, log_y)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ip.axis_label(metric, scale))

    handles = ip.legend_handles(unique(all_series)) + unsupported_handles(rows, layout,
                                                                          all_series)
    axes[-1].legend(handles=handles + variant.legend_key(layout), loc="upper left",
                    bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle(figure.title + variant.title_suffix)
    notes = [layout.constants_note(), ip.dispersion_note(all_series)]
    notes += ip.status_notes(rows, layout, xs)
    ip.add_notes(fig, [n for n in notes if n], variant.footer)
    return ip.save_figure(fig, out_dir, variant.stem_prefix + stem)


def draw_panel(ax, series, scale, xs, x_param, log_y):
    """Series on a log2 x axis; log or from-zero y."""
    for s, dodge in zip(series, ip.dodge_factors(len(series))):
        ip.draw_series(ax, s, scale, xs, dodge)
    ip.set_log2_x(ax, xs, x_param)
    if log_y and spans_decades(series):
        ip.set_log_y(ax, scale)
    else:
        ax.yaxis.set_major_formatter(ip.number_formatter(scale))
        ax.set_ylim(bottom=0)
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.set_axisbelow(True)
    ip.mark_empty(ax, series)


def spans_decades(series):
    """Whether the values spread over more than a decade (then a log axis helps)."""
    ys = [p.y for s in series for p in s.points if p.y > 0]
    return bool(ys) and max(ys) / min(ys) > 10


def unsupported_handles(rows, layout, measured):
    """Grey legend entries for series this host could not measure at all."""
    drawn = {s.key for s in measured}
    missing = {}
    for r in rows:
        key = layout.key(r)
        if r["status"] == "unsupported" and key not in drawn:
            missing.setdefault(key, layout.label(key))
    return [Line2D([], [], color="0.6", linestyle=":", marker="x",
                   label=f"{label}: unsupported here (see notes)")
            for label in missing.values()]


def unique(series):
    """Series with distinct labels, first kept (panels share a legend)."""
    seen = {}
    for s in series:
        seen.setdefault(s.label, s)
    return list(seen.values())


plot_storage = plotter("storage")
plot_cow = plotter("storage_cow")
plot_switch_root = plotter("switch_root")
plot_umount = plotter("umount")
