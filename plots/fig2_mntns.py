"""Figure 2 of the SOCK study: mount namespace create and destroy rates.

From the `mntns` rows of a results.csv:
- fig2-mntns: create and destroy operations per second (create_ops_per_s,
  destroy_ops_per_s) against the mount namespaces that already exist
  (existing, log x; 0 is drawn at the left edge), one color per way of holding
  them (hold) and per other varying parameter, solid for create, dashed for
  destroy; chroot("/") per second (chroot_ops_per_s) as a grey reference line;
- fig2-mntns-netns-pins: the same rates against pinned network namespaces
  (netns_pins), when that is what the run swept.

Markers are medians over repetitions, error bars span min to max, hollow
markers are untrustworthy points; points the host could not run are listed
under the figure.  Units come from the CSV's unit column.
"""

import dataclasses

from matplotlib import ticker

import isocost_plot as ip

EXPERIMENT = "mntns"
OPS = (("create_ops_per_s", "create", "-", "o"), ("destroy_ops_per_s", "destroy", "--", "s"))
REFERENCE = "chroot_ops_per_s"
SERIES_PARAMS = ("hold", "creator", "extra_mounts", "netns_pins", "existing", "config")
X_CHOICES = (("existing", "mount namespaces that already exist", "fig2-mntns"),
             ("netns_pins", "network namespaces pinned by bind mounts", "fig2-mntns-netns-pins"))
WORDS = {
    "hold": {"fd": "held by fds", "bind": "held by bind mounts"},
    "creator": {"host": "from the host's namespace",
                "private": "from a private namespace without the pins"},
}
TITLE = "Figure 2: mount namespace create and destroy against existing namespaces"


def describe(param, value):
    """Legend words for one parameter value."""
    if param in WORDS:
        return WORDS[param].get(value, f"{param} {value}")
    names = {"extra_mounts": "extra mounts", "netns_pins": "netns pins",
             "existing": "existing mntns"}
    return f"{value} {names.get(param, param)}"


def plot(results, run_info, out_dir, variant=None):
    """Draw figure 2 (and the netns-pins figure when swept); return the paths written."""
    variant = ip.Variant() if variant is None else variant
    variant = dataclasses.replace(variant, footer=variant.footer_for(run_info))
    ip.require_parameters(results, EXPERIMENT, ("existing", "hold"))
    rows = ip.select(results.rows, EXPERIMENT)

    varies = {p: len({r.get(p) for r in rows}) > 1 for p, _, _ in X_CHOICES}
    paths = []
    for x_param, x_words, stem in X_CHOICES:
        # existing is the x axis unless only the netns pins were swept.
        wanted = varies[x_param] or (x_param == "existing" and not varies["netns_pins"])
        if wanted:
            paths += plot_against(rows, x_param, x_words, variant, out_dir,
                                  variant.stem_prefix + stem)
    return paths


def series_key(row, x_param, varying):
    """The parameters (besides x) that tell one line from another."""
    return tuple((p, row.get(p)) for p in varying if p != x_param)


def varying_params(rows, x_param):
    """Series parameters that take more than one value in these rows."""
    return [p for p in SERIES_PARAMS
            if p != x_param and len({r.get(p) for r in rows}) > 1]


def plot_against(rows, x_param, x_words, variant, out_dir, stem):
    """One figure: create and destroy rates against x_param, chroot as reference."""
    ok = [r for r in rows if r["status"] == "ok" and r["median"] is not None]
    chosen = [r for r in ok if r["metric"] in dict((m, 0) for m, *_ in OPS)]
    if not chosen:
        ip.warn(f"{EXPERIMENT}: no create or destroy rows; {stem} not drawn")
        return []

    varying = varying_params(rows, x_param)
    keys = sorted({series_key(r, x_param, varying) for r in chosen}, key=str)
    colors = {k: f"C{i % 10}" for i, k in enumerate(keys)}
    xs = sorted({r[x_param] for r in rows})
    zero_at = min([x for x in xs if x > 0], default=1) / 4
    fig, (ax,) = ip.new_figure(10, 5.4)

    for metric, op, style, marker in OPS:
        for key in keys:
            points = sorted((r[x_param], r) for r in chosen
                            if r["metric"] == metric and series_key(r, x_param, varying) == key)
            draw_line(ax, points, zero_at, colors[key], style, marker,
                      label_for(op, key, variant))
    draw_reference(ax, ok)

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks([x if x > 0 else zero_at for x in xs])
    ax.set_xticklabels([f"{x:,}" for x in xs], rotation=45, fontsize=8)
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlabel(x_words + " (log; 0 at the left edge)")
    ax.set_ylabel(f"operations per second ({ip.unit_of(chosen, OPS[0][0])}, log)")
    ax.grid(True, which="major", color="0.88", linewidth=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    fig.suptitle(TITLE + variant.title_suffix)

    ip.add_notes(fig, notes(rows, ok, x_param, varying), variant.footer)
    return ip.save_figure(fig, out_dir, stem)


def label_for(op, key, variant):
    """Legend words: the operation, then each varying parameter."""
    words = variant.describe(describe)
    return ", ".join([op] + [words(p, v) for p, v in key])


def draw_line(ax, points, zero_at, color, style, marker, label):
    """Median with min-max error bars; hollow markers for untrustworthy points."""
    if not points:
        return
    x = [p if p > 0 else zero_at for p, _ in points]
    med = [r["median"] for _, r in points]
    low = [r["median"] - r["min"] for _, r in points]
    high = [r["max"] - r["median"] for _, r in points]
    ax.errorbar(x, med, yerr=[low, high], color=color, linestyle=style, marker=marker,
                capsize=3, label=label, markersize=5)
    for xi, (_, r) in zip(x, points):
        if not r["trustworthy"]:
            ax.plot([xi], [r["median"]], marker=marker, color="white", markersize=3)


def draw_reference(ax, ok):
    """chroot("/") per second, the median over every point, as a grey line."""
    values = sorted(r["median"] for r in ok if r["metric"] == REFERENCE)
    if not values:
        return
    median = values[len(values) // 2]
    ax.axhline(median, color="0.45", linestyle=":", linewidth=1.5,
               label=f"chroot(\"/\") reference, {median:,.0f} ops/s")


def notes(rows, ok, x_param, varying):
    """Under the figure: what was fixed, what was not measured, teardown and memory."""
    out = []
    fixed = [f"{p}={rows[0].get(p)}" for p in SERIES_PARAMS
             if p not in varying and p != x_param and p in rows[0] and p != "config"]
    if fixed:
        out.append("fixed: " + ", ".join(fixed))
    for r in rows:
        if r["status"] != "ok" and r["metric"] in ("create_ops_per_s", ""):
            out.append(f"• {x_param}={r.get(x_param)} {r.get('hold')}: {r['status']}: "
                       f"{r['note']}")
    verified = [r["median"] for r in ok if r["metric"] == "teardown_verified"]
    if verified:
        out.append("destroy = setns() back to the base namespace, which drops the last "
                   "reference; listmount() found the namespace gone after it returned in "
                   f"{sum(1 for v in verified if v == 1)} of {len(verified)} points")
    hwm = [r["max"] for r in ok if r["metric"] == "isocost_vmhwm_bytes"]
    if hwm:
        out.append(f"isocost peak resident memory (VmHWM): {max(hwm) / 2**20:.0f} MiB")
    return out
