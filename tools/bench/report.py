#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# nkvm: the report of `make bench` from the guest console logs (scripts/bench.sh).
#
#   report.py --out DIR [--doc DOCDIR] [--seconds S] console.log...
#
# Reads the BENCH / BENCH-NA / BENCH-INFO lines that scripts/guest/bench-run.sh and
# nkvm_bench print, pooling the samples of the rounds of one boot (a later log wins for
# an implementation it ran again), prints the
# table, writes DIR/results.md and DIR/ratios.png (when matplotlib is there), copies
# both to DOCDIR/bench-results.{md,png}, and prints as its very last line
#   bench: geomean ours/stock R over K benchmarks
# K counts the timed benchmarks that both implementations ran; the kernel-memory rows
# are shown with their ratio but are not part of the geomean.
import argparse
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import time

TIMED = [
    ("pio_exit", "PIO exit round trip to userspace (guest OUT loop), per exit"),
    ("cpuid_exit", "in-kernel exit (guest CPUID loop), per CPUID"),
    ("mmio_exit", "MMIO write exit round trip to userspace, per exit"),
    ("create_vm", "KVM_CREATE_VM + one vCPU + close"),
    ("vcpus_64", "creating 64 vCPUs"),
    ("touch_256m", "first touch of 256 MiB (one byte per 4 KiB page)"),
    ("dirty_log_1g", "KVM_GET_DIRTY_LOG, 1 GiB slot, guest dirtied 10%"),
    ("memslots_509", "setting 509 memslots (64 KiB each)"),
]
MEMORY = [
    ("mem_vm_slab", "per VM: slab"),
    ("mem_vm_vmalloc", "per VM: vmalloc"),
    ("mem_vm_total", "per VM: all (MemFree)"),
    ("mem_vcpu_slab", "per vCPU: slab"),
    ("mem_vcpu_vmalloc", "per vCPU: vmalloc"),
    ("mem_vcpu_total", "per vCPU: all (MemFree)"),
]
IMPLS = ("stock", "ours")


def parse(logs):
    res = {}    # (impl, name) -> dict(unit, iters, samples)
    na = {}     # (impl, name) -> reason
    info = {}
    took = {}   # (impl, name) -> seconds
    implsec = {}
    loads = {}
    kv = re.compile(r"(\w+)=(\S*)")
    for log in logs:
        try:
            text = open(log, errors="replace").read()
        except OSError:
            continue
        ran = set(re.findall(r"^BENCH-IMPL-BEGIN (\w+)", text, re.M))
        for impl in ran:    # a boot that ran an implementation again replaces it
            for d in (res, na, took):
                for k in [k for k in d if k[0] == impl]:
                    del d[k]
            implsec.pop(impl, None)
        for line in text.splitlines():
            if line.startswith("BENCH "):
                d = dict(kv.findall(line))
                try:
                    s = [float(x) for x in d["samples"].split(",") if x]
                except (KeyError, ValueError):
                    continue
                key = (d.get("impl"), d.get("name"))
                if s and key in res:
                    res[key]["samples"].extend(s)
                elif s:
                    res[key] = dict(unit=d.get("unit", ""), iters=d.get("iters", "?"),
                                    samples=s)
            elif line.startswith("BENCH-NA "):
                m = re.match(r"BENCH-NA impl=(\S+) name=(\S+) reason=(.*)", line)
                if m:
                    na[(m.group(1), m.group(2))] = m.group(3)
            elif line.startswith("BENCH-INFO "):
                k, _, v = line[len("BENCH-INFO "):].partition("=")
                info[k] = v
            elif line.startswith("BENCH-LOAD "):
                p = line.split()
                if len(p) >= 3:
                    loads[p[2]] = " ".join([p[1]] + p[3:])
            elif line.startswith("BENCH-IMPL-END "):
                p = line.split()
                sec = p[2].rstrip("s") if len(p) > 2 else "0"
                implsec[p[1]] = implsec.get(p[1], 0) + (int(sec) if sec.isdigit() else 0)
            else:
                m = re.match(r"# (\w+): (\w+) took ([0-9.]+) s", line)
                if m:
                    k = (m.group(1), m.group(2))
                    took[k] = took.get(k, 0) + float(m.group(3))
    # a memory benchmark that failed as a whole covers its three rows
    for (impl, name), why in list(na.items()):
        if name in ("mem_vm", "mem_vcpu"):
            for part in ("slab", "vmalloc", "total"):
                na.setdefault((impl, name + "_" + part), why)
    return res, na, info, took, implsec, loads


def fmt(x):
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return "%.0f" % x
    if a >= 100:
        return "%.1f" % x
    if a >= 10:
        return "%.2f" % x
    return "%.3g" % x


def stats(r):
    if not r:
        return None
    s = r["samples"]
    return dict(min=min(s), med=statistics.median(s), max=max(s), n=len(s),
                iters=r["iters"], unit=r["unit"])


def cell(st, why):
    if st is None:
        return "n/a" + (" (%s)" % why if why else "")
    return "%s / %s / %s" % (fmt(st["min"]), fmt(st["med"]), fmt(st["max"]))


def ratio(a, b):
    if a is None or b is None or b["med"] <= 0 or a["med"] < 0:
        return None
    return a["med"] / b["med"]


def spread(st):
    """(max - min) / median in percent: how noisy the runs were."""
    if st is None or st["med"] <= 0:
        return None
    return 100.0 * (st["max"] - st["min"]) / st["med"]


def host_info():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        qemu = "?"
    return cpu, qemu


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in rows if r[1] is not None and r[1] > 0]
    if not rows:
        return False
    labels = [r[0] for r in rows]
    vals = [r[1] for r in rows]
    colors = [r[2] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(rows) + 2.0))
    y = range(len(rows))
    ax.barh(y, vals, color=colors)
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("ratio of medians (log scale; < 1: ours uses less)")
    ax.set_xlim(min(min(vals), 1.0) / 2, max(max(vals), 1.0) * 3)
    for i, v in enumerate(vals):
        ax.text(v, i, " %.3g" % v, va="center", fontsize=8)
    ax.set_title("nkvm vs stock kvm-amd under QEMU TCG")
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color="tab:blue", label="time, ours/stock"),
                       Patch(color="tab:orange", label="kernel memory, ours/stock"),
                       Patch(color="tab:green", label="time, ours/limit")],
              loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--doc")
    ap.add_argument("--seconds", default="?")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()

    res, na, info, took, implsec, loads = parse(a.logs)
    st = {(i, n): stats(res.get((i, n))) for i in IMPLS + ("limit",)
          for n, _ in TIMED + MEMORY}

    lines = []   # the plain table
    md = []
    hdr = ("benchmark", "unit", "N x runs", "stock min/med/max", "ours min/med/max",
           "ours/stock", "spread s/o %")
    tab = []
    logs_ratios = []
    plot_rows = []
    for n, desc in TIMED + MEMORY:
        s, o = st[("stock", n)], st[("ours", n)]
        r = ratio(o, s)
        unit = (s or o or {}).get("unit", "")
        runs = "/".join("%sx%d" % (x["iters"], x["n"]) if x else "-" for x in (s, o))
        sp = "/".join(fmt(spread(x)) if x else "-" for x in (s, o))
        tab.append((n, unit, runs, cell(s, na.get(("stock", n))),
                    cell(o, na.get(("ours", n))), fmt(r), sp, desc))
        if (n, desc) in TIMED and r is not None:
            logs_ratios.append(math.log(r))
        if r is not None:
            plot_rows.append((n, r, "tab:blue" if (n, desc) in TIMED else "tab:orange"))
    lim = st[("limit", "cpuid_exit")]
    o_lim = ratio(st[("ours", "cpuid_exit")], lim)
    s_lim = ratio(st[("stock", "cpuid_exit")], lim)
    if o_lim is not None:
        plot_rows.append(("cpuid_exit vs limit", o_lim, "tab:green"))

    k = len(logs_ratios)
    geo = math.exp(sum(logs_ratios) / k) if k else None
    closing = "bench: geomean ours/stock %s over %d benchmarks" % (
        "%.2f" % geo if geo is not None else "n/a", k)

    # ---- plain text
    w = [max(len(str(t[i])) for t in tab + [hdr]) for i in range(7)]
    for t in [hdr] + tab:
        lines.append("  ".join(str(t[i]).ljust(w[i]) for i in range(7)).rstrip())
        if t is hdr:
            lines.append("  ".join("-" * w[i] for i in range(7)))
    lines.append("")
    lines.append("in-kernel exit floor (nkvm_bench_limit, bare VMRUN/#VMEXIT loop): %s us"
                 " min/med/max over %s runs of %s exits" % (
                     cell(lim, na.get(("limit", "cpuid_exit"))),
                     lim["n"] if lim else 0, lim["iters"] if lim else "-"))
    lines.append("cpuid_exit: ours/limit %s, stock/limit %s" % (fmt(o_lim), fmt(s_lim)))
    for (impl, n), why in sorted(na.items()):
        if not n.startswith("mem_") or n.count("_") == 1:
            lines.append("n/a: %s %s: %s" % (impl, n, why))
    for impl in ("limit",) + IMPLS:
        if impl not in implsec:
            lines.append("n/a: %s did not finish in the guest (see the console logs)" % impl)

    # ---- markdown
    gcpu = info.get("cpu", "?")
    hcpu, qemu = host_info()
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    md.append("# nkvm benchmarks: ours vs the stock kvm-amd")
    md.append("")
    md.append("Generated by `make bench` on %s. How to read this: "
              "[bench.md](bench.md)." % date)
    md.append("")
    md.append("- guest kernel: %s (Debian stock), %s vCPUs, %s RAM" % (
        info.get("kernel", "?"), info.get("cpus", "?"), info.get("memtotal", "?")))
    md.append("- guest CPU model: %s (QEMU TCG `-cpu max`, AMD SVM + NPT emulated)" % gcpu)
    md.append("- host: %s, %s, %s" % (hcpu, platform.release(), qemu))
    md.append("- modules: %s" % "; ".join("%s: %s" % (i, loads.get(i, "not loaded"))
                                          for i in ("limit",) + IMPLS))
    md.append("- guest time per implementation: %s; whole `make bench`: %s s" % (
        ", ".join("%s %s s" % (i, implsec.get(i, "n/a")) for i in ("limit",) + IMPLS),
        a.seconds))
    md.append("")
    md.append("min / median / max over the runs; each run is the average of N operations. "
              "ours/stock is the ratio of the medians (< 1: ours is faster or smaller). "
              "spread = (max - min) / median of each implementation's runs.")
    md.append("")
    md.append("| benchmark | what | unit | N x runs (stock/ours) | stock min / med / max "
              "| ours min / med / max | ours/stock | spread % (stock/ours) |")
    md.append("|---|---|---|---|---|---|---|---|")
    for t in tab:
        md.append("| %s | %s | %s | %s | %s | %s | **%s** | %s |" % (
            t[0], t[7], t[1], t[2], t[3], t[4], t[5], t[6]))
    md.append("")
    md.append("The floor of an in-kernel exit (tools/bench/limit: a bare CPUID "
              "VMRUN/#VMEXIT loop, nothing else per exit): %s us per exit (min / med / max "
              "over %s runs of %s exits); cpuid_exit ours/limit **%s**, stock/limit %s." % (
                  cell(lim, na.get(("limit", "cpuid_exit"))), lim["n"] if lim else 0,
                  lim["iters"] if lim else "-", fmt(o_lim), fmt(s_lim)))
    md.append("")
    notes = [x for x in lines if x.startswith("n/a:")]
    if notes:
        md.append("Not measured:")
        md.append("")
        md.extend("- " + x[5:] for x in notes)
        md.append("")
    md.append("The kernel-memory rows are not in the geomean, which covers the timed "
              "benchmarks both implementations ran.")
    md.append("")
    md.append("![ratios](IMAGE)")
    md.append("")
    md.append("`%s`" % closing)
    md.append("")

    os.makedirs(a.out, exist_ok=True)
    png = os.path.join(a.out, "ratios.png")
    have_png = plot(plot_rows, png)
    text = "\n".join(md)
    if not have_png:
        text = text.replace("![ratios](IMAGE)", "(no plot: python3-matplotlib missing)")
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text.replace("(IMAGE)", "(ratios.png)").replace("(bench.md)",
                "(../../Documentation/bench.md)"))
    if a.doc:
        with open(os.path.join(a.doc, "bench-results.md"), "w") as f:
            f.write(text.replace("(IMAGE)", "(bench-results.png)"))
        if have_png:
            shutil.copy(png, os.path.join(a.doc, "bench-results.png"))

    print("\n".join(lines))
    print("# results: %s (plot: %s)%s" % (
        os.path.join(a.out, "results.md"), png if have_png else "none",
        "; copied to %s/bench-results.*" % a.doc if a.doc else ""))
    print(closing)


if __name__ == "__main__":
    main()
