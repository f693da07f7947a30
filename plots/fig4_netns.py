"""Figure 4 of the SOCK study: containers per second by network variant.

From the `container` rows of a results.csv (and the run's artifacts):
- fig4-netns: bars of containers per second per network variant at the
  concurrency where each variant did best, create rate (ops_per_s) beside the
  sustained rate (sustained_ops_per_s, which waits until every network
  namespace the window created is torn down); bars are medians over
  repetitions, error bars span min to max;
- fig4-netns-concurrency: both rates against concurrency, one line per variant;
- netns-backlog: dying network namespaces and the kernel memory they hold over
  the window, one line per point, from artifacts/point-<i>-rep-0-backlog.csv.

And from the `netns_interference` rows:
- netns-interference: p50 and p99 latency of creating one namespace against the
  number of background processes churning network namespaces.

Hollow markers and hatched bars are untrustworthy points; points the host
could not run are listed under the figure.  Units come from the unit column.
"""

import csv
import os

import isocost_plot as ip

EXPERIMENT = "container"
INTERFERENCE = "netns_interference"
VARIANT_ORDER = ("none", "netns", "lo", "lo_ipv6_off", "veth_inside", "veth_moved")
VARIANT_WORDS = {
    "none": "no netns",
    "netns": "netns",
    "lo": "netns, lo up",
    "lo_ipv6_off": "netns, lo up,\nIPv6 off",
    "veth_inside": "+ veth made\ninside",
    "veth_moved": "+ veth made on\nhost, moved",
}
RATES = (("ops_per_s", "create rate", "tab:blue"),
         ("sustained_ops_per_s", "sustained rate (until torn down)", "tab:orange"))


def plot(results, run_info, out_dir, variant=None):
    """Draw the figure-4 figures present in the run; return the paths written."""
    variant = ip.Variant() if variant is None else variant
    footer = variant.footer_for(run_info)
    run_dir = os.path.dirname(os.path.abspath(results.path))
    paths = []
    rows = ip.select(results.rows, EXPERIMENT)
    if rows:
        groups = group_by_config(rows)
        for config, config_rows in groups.items():
            stem = variant.stem_prefix + (config if len(groups) > 1 else "fig4-netns")
            if len({r["network"] for r in config_rows}) > 1:
                paths += plot_bars(config_rows, footer, out_dir, stem)
                paths += plot_lines(config_rows, footer, out_dir, stem + "-concurrency")
            paths += plot_backlog(config_rows, footer, out_dir, run_dir,
                                  variant.stem_prefix + f"{config}-backlog")
    return paths


def plot_interference_run(results, run_info, out_dir, variant=None):
    """Draw netns-interference from the netns_interference rows; return the paths."""
    variant = ip.Variant() if variant is None else variant
    rows = ip.select(results.rows, INTERFERENCE)
    if not rows:
        return []
    return plot_interference(rows, variant.footer_for(run_info), out_dir,
                             variant.stem_prefix + "netns-interference")


def group_by_config(rows):
    groups = {}
    for r in rows:
        groups.setdefault(r.get("config") or "fig4-netns", []).append(r)
    return groups


def metric_rows(rows, metric):
    return [r for r in rows if r["metric"] == metric and r["status"] == "ok"
            and r["value"] is not None]


def variants_in(rows):
    present = {r["network"] for r in rows}
    return [v for v in VARIANT_ORDER if v in present] + sorted(present - set(VARIANT_ORDER))


def best_by_variant(rows, metric):
    """For each variant, the row of the concurrency with the highest median."""
    best = {}
    for r in metric_rows(rows, metric):
        if r["network"] not in best or r["value"] > best[r["network"]]["value"]:
            best[r["network"]] = r
    return best


def plot_bars(rows, footer, out_dir, stem):
    """Bars per variant at its best concurrency, create and sustained rates."""
    variants = variants_in(rows)
    fig, (ax,) = ip.new_figure(9.5, 5.2)
    width = 0.38
    for k, (metric, label, color) in enumerate(RATES):
        best = best_by_variant(rows, metric)
        for i, v in enumerate(variants):
            r = best.get(v)
            if r is None:
                continue
            x = i + (k - 0.5) * width
            err = [[r["value"] - r["min"]], [r["max"] - r["value"]]]
            ax.bar(x, r["value"], width, color=color if r["trustworthy"] else "white",
                   edgecolor=color, hatch=None if r["trustworthy"] else "//",
                   label=label if i == 0 else None)
            ax.errorbar(x, r["value"], yerr=err, color="black", capsize=3, linewidth=1)
            ax.annotate(f"{r['value']:.0f}\n@{r['threads']}", (x, r["max"]), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(variants)), [VARIANT_WORDS.get(v, v) for v in variants], fontsize=8)
    ax.set_ylabel("containers created and destroyed per second")
    ax.set_ylim(bottom=0)
    ax.grid(True, axis="y", color="0.88")
    ax.set_axisbelow(True)
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    fig.suptitle("Figure 4: containers per second by network variant (best concurrency, "
                 "@ = threads)")
    notes = ["Bars: median over repetitions at the concurrency where the variant did best; "
             "error bars: min to max; hatched: untrustworthy."]
    notes += status_lines(rows)
    ip.add_notes(fig, notes, footer)
    return ip.save_figure(fig, out_dir, stem)


def plot_lines(rows, footer, out_dir, stem):
    """Both rates against concurrency, one line per variant."""
    variants = variants_in(rows)
    fig, axes = ip.new_figure(13, 5.2, ncols=2, sharey=True)
    colors = {v: f"C{i}" for i, v in enumerate(variants)}
    x_param = x_parameter(rows)
    xs = sorted({r[x_param] for r in rows})
    for ax, (metric, label, _) in zip(axes, RATES):
        for v in variants:
            pts = sorted(((r[x_param], r) for r in metric_rows(rows, metric)
                          if r["network"] == v), key=lambda p: p[0])
            if not pts:
                continue
            x = [p[0] for p in pts]
            y = [p[1]["value"] for p in pts]
            err = [[p[1]["value"] - p[1]["min"] for p in pts],
                   [p[1]["max"] - p[1]["value"] for p in pts]]
            ax.errorbar(x, y, yerr=err, color=colors[v], marker="o", capsize=3,
                        label=VARIANT_WORDS.get(v, v).replace("\n", " "))
            for xi, p in pts:
                if not p["trustworthy"]:
                    ax.plot(xi, p["value"], marker="o", color="white",
                            markeredgecolor=colors[v])
        ax.set_xscale("symlog" if 0 in xs else "log", base=2)
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel(X_WORDS.get(x_param, x_param))
        ax.set_title(f"{label} ({metric})", fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(True, color="0.88")
    axes[0].set_ylabel("containers per second")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle(f"Figure 4: containers per second against {X_WORDS.get(x_param, x_param)}")
    ip.add_notes(fig, ["Markers: medians; error bars: min to max; hollow: untrustworthy."]
                 + status_lines(rows), footer)
    return ip.save_figure(fig, out_dir, stem)


X_WORDS = {"threads": "concurrent creators (threads)",
           "held_netns": "network namespaces that exist meanwhile (held_netns)"}


def x_parameter(rows):
    """threads, or held_netns when only that varies."""
    if len({r["threads"] for r in rows}) == 1 and len({r.get("held_netns") for r in rows}) > 1:
        return "held_netns"
    return "threads"


def read_backlog(run_dir, index):
    path = os.path.join(run_dir, "artifacts", f"point-{index}-rep-0-backlog.csv")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [{k: float(v) for k, v in row.items() if k != "phase"}
                    for row in csv.DictReader(f)]
    except (OSError, ValueError):
        return None


def plot_backlog(rows, footer, out_dir, run_dir, stem):
    """Dying namespaces and kernel memory over time, first repetition of each point."""
    points = {}
    for r in rows:
        if r["status"] == "ok" and r["network"] != "none":
            points.setdefault(int(r["point"]), r)
    series = []
    for index, r in sorted(points.items()):
        data = read_backlog(run_dir, index)
        if data:
            label = f"{r['network']}, {r['threads']} threads"
            if r.get("max_net_namespaces"):
                label += f", cap {r['max_net_namespaces']}"
            series.append((label, data))
    if not series or len(series) > 12:
        if len(series) > 12:
            ip.warn(f"{EXPERIMENT}: {len(series)} backlog series; {stem} not drawn (the "
                    "time series are in artifacts/)")
        return []
    fig, axes = ip.new_figure(13, 5.2, ncols=2)
    for i, (label, data) in enumerate(series):
        t = [d["t_s"] for d in data]
        axes[0].plot(t, [d["backlog_netns"] for d in data], color=f"C{i}", label=label)
        axes[1].plot(t, [d["kernel_memory_bytes"] / 2**20 for d in data], color=f"C{i}")
    axes[0].set_ylabel("dying network namespaces (netns)")
    axes[1].set_ylabel("growth of SUnreclaim + Percpu (MiB)")
    for ax in axes:
        ax.set_xlabel("time since the repetition began (s)")
        ax.grid(True, color="0.88")
    axes[0].legend(fontsize=8, frameon=False)
    fig.suptitle("Backlog of dying network namespaces over the window and its drain")
    ip.add_notes(fig, ["Dying = struct net allocated less teardowns ended (trace events) less "
                       "containers still running; first repetition of each point."], footer)
    return ip.save_figure(fig, out_dir, stem)


def plot_interference(rows, footer, out_dir, stem):
    """p50 and p99 creation latency against background churners."""
    fig, axes = ip.new_figure(13, 5.2, ncols=2, sharey=True)
    for ax, metric in zip(axes, ("latency_p50_ns", "latency_p99_ns")):
        for i, probe in enumerate(sorted({r["probe"] for r in rows})):
            pts = sorted(((r["background"], r) for r in metric_rows(rows, metric)
                          if r["probe"] == probe), key=lambda p: p[0])
            if not pts:
                continue
            ax.errorbar([p[0] for p in pts], [p[1]["value"] / 1e6 for p in pts],
                        yerr=[[(p[1]["value"] - p[1]["min"]) / 1e6 for p in pts],
                              [(p[1]["max"] - p[1]["value"]) / 1e6 for p in pts]],
                        marker="o", capsize=3, color=f"C{i}", label=f"new {probe} namespace")
        ax.set_xlabel("background processes creating and destroying network namespaces")
        ax.set_title(metric, fontsize=10)
        ax.set_yscale("log")
        ax.grid(True, color="0.88")
    axes[0].set_ylabel("latency of one creation (ms)")
    axes[-1].legend(fontsize=9, frameon=False)
    fig.suptitle("Creating a namespace while others churn network namespaces")
    ip.add_notes(fig, ["Medians over repetitions; error bars: min to max."]
                 + status_lines(rows), footer)
    return ip.save_figure(fig, out_dir, stem)


def status_lines(rows):
    """Points not measured, and why (one line per reason)."""
    reasons = {}
    for r in rows:
        if r["status"] != "ok":
            reasons.setdefault(f"{r['status']}: {r['note']}", set()).add(r["point"])
    return [f"{len(p)} point(s) {why}" for why, p in sorted(reasons.items())]
