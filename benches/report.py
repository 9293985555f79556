#!/usr/bin/env python3
"""Turns benchmark results into the tables and charts of BENCHMARKS.md.

    python3 benches/report.py target/compare/results.csv   # echo runs from compare.sh
    python3 benches/report.py                              # criterion results only
    python3 benches/report.py --syscalls target/compare/results.csv  # by-name table only

Reads the echo runs (CSV from benches/compare.sh) and criterion's estimates
(target/criterion/*/*/new/estimates.json), prints markdown tables with medians and the
wakeful/tokio ratio, and writes SVG charts to docs/. Standard library only.
"""

import csv
import json
import os
import statistics
import sys
from collections import defaultdict

DOCS = "docs"
COLORS = {"wakeful": "#2b7bba", "tokio": "#e08a2c"}


def regime(row):
    """The row's regime: closed loop ("closed", or no column: older CSVs) or "saturated"
    (a CPU hog beside the server). Figures of two regimes differ by design: every table
    keeps them apart, and names the regime after the protocol unless it is closed."""
    return row.get("regime") or "closed"


def labelled(proto, regime):
    return proto if regime == "closed" else f"{proto}, {regime}"


def echo_tables(path):
    runs = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            key = (labelled(row["proto"], regime(row)), int(row["conns"]), int(row["depth"]), row["server"])
            runs[key].append(row)

    def median(rows, field):
        values = [float(r[field]) for r in rows if r[field]]
        return statistics.median(values) if values else None

    configs = sorted({k[:3] for k in runs}, key=lambda k: (k[0], k[2], k[1]))
    lines = [
        "| proto | conns | depth | wakeful req/s | tokio req/s | ratio | wakeful p99 µs | tokio p99 µs "
        "| wakeful CPU µs/req | tokio CPU µs/req | ratio | wakeful syscalls/req | tokio syscalls/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summary = {}
    for proto, conns, depth in configs:
        w, t = runs.get((proto, conns, depth, "wakeful"), []), runs.get((proto, conns, depth, "tokio"), [])
        if not w or not t:
            continue
        m = {(s, f): median(rows, f) for s, rows in (("w", w), ("t", t)) for f in
             ("rps", "p99_us", "cpu_us_per_req", "syscalls_per_req")}
        if proto in ("tcp", "udp"):  # the charts show the closed loop
            summary[(proto, conns, depth)] = m

        def fmt(v, digits=0):
            return "–" if v is None else f"{v:,.{digits}f}"

        def ratio(a, b):
            return "–" if not a or not b else f"{a / b:.2f}"

        lines.append(
            f"| {proto} | {conns} | {depth} | {fmt(m['w', 'rps'])} | {fmt(m['t', 'rps'])} | {ratio(m['w', 'rps'], m['t', 'rps'])} "
            f"| {fmt(m['w', 'p99_us'])} | {fmt(m['t', 'p99_us'])} "
            f"| {fmt(m['w', 'cpu_us_per_req'], 2)} | {fmt(m['t', 'cpu_us_per_req'], 2)} "
            f"| {ratio(m['w', 'cpu_us_per_req'], m['t', 'cpu_us_per_req'])} "
            f"| {fmt(m['w', 'syscalls_per_req'], 2)} | {fmt(m['t', 'syscalls_per_req'], 2)} |"
        )
    return "\n".join(lines), summary


SYSCALL_FIELDS = ("epoll_wait_per_req", "recv_per_req", "send_per_req", "epoll_ctl_per_req", "other_per_req")


def syscall_table(path):
    """Syscalls per request by name, wakeful beside tokio: medians over the runs."""
    runs = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            if row.get("epoll_wait_per_req"):
                runs[(labelled(row["proto"], regime(row)), int(row["conns"]), int(row["depth"]), row["server"])].append(row)
    lines = [
        "| proto | conns | depth | server | runs | epoll_wait | recv | send | epoll_ctl | other | total |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(runs, key=lambda k: (k[0], k[2], k[1], k[3] != "wakeful")):
        rows = runs[key]
        cells = [statistics.median(float(r[f]) for r in rows) for f in SYSCALL_FIELDS + ("syscalls_per_req",)]
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {len(rows)} | "
                     + " | ".join(f"{v:.3f}" for v in cells) + " |")
    return "\n".join(lines)


def criterion_results(root="target/criterion"):
    """{group: {function: (mean ns, throughput elements or None)}}"""
    results = defaultdict(dict)
    if not os.path.isdir(root):
        return results
    for dirpath, _, files in os.walk(root):
        if "estimates.json" not in files or not dirpath.endswith(os.path.join("new")):
            continue
        parts = os.path.relpath(dirpath, root).split(os.sep)[:-1]
        if len(parts) < 2:
            continue
        group, function = parts[0], "/".join(parts[1:])
        with open(os.path.join(dirpath, "estimates.json")) as f:
            mean = json.load(f)["mean"]["point_estimate"]
        results[group][function] = mean
    return results


def criterion_table(results):
    lines = ["| benchmark | wakeful | tokio current-thread | smol LocalExecutor | tokio multi-thread (1 worker) "
             "| wakeful / tokio |", "|---|---:|---:|---:|---:|---:|"]
    ratios = []
    for group in sorted(results):
        by_param = defaultdict(dict)
        for function, mean in results[group].items():
            runtime, _, param = function.partition("/")
            by_param[param][runtime] = mean
        for param, means in sorted(by_param.items()):
            w, t = means.get("wakeful"), means.get("tokio-current-thread")
            if w is None or t is None:
                continue
            name = f"{group}/{param}" if param else group
            others = [fmt_time(means[k]) if k in means else "–" for k in ("smol-local", "tokio-multi-thread-1")]
            lines.append(f"| {name} | {fmt_time(w)} | {fmt_time(t)} | {others[0]} | {others[1]} | {w / t:.2f} |")
            ratios.append((name, w / t))
    return "\n".join(lines), ratios


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def svg_ratio_chart(path, title, items, lower_is_better=True):
    """Horizontal bars: wakeful's time or cost as a fraction of tokio's (1.0 = equal)."""
    width, bar_h, left, top = 720, 22, 260, 40
    height = top + bar_h * len(items) + 40
    scale = (width - left - 40) / max(2.0, max((r for _, r in items), default=1.0))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{title}</text>']
    for i, (name, ratio) in enumerate(items):
        y = top + i * bar_h
        good = ratio <= 1.0 if lower_is_better else ratio >= 1.0
        color = "#3a9a4a" if good else "#c44"
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{name}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{ratio * scale:.1f}" height="{bar_h - 6}" fill="{color}"/>')
        out.append(f'<text x="{left + ratio * scale + 5:.1f}" y="{y + 15}">{ratio:.2f}</text>')
    x1 = left + scale
    out.append(f'<line x1="{x1:.1f}" y1="{top - 5}" x2="{x1:.1f}" y2="{height - 30}" stroke="#333" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{x1:.1f}" y="{height - 12}" text-anchor="middle">1.0 = tokio</text>')
    out.append("</svg>")
    write(path, out)


def svg_rps_chart(path, summary, proto="tcp", depth=1):
    """Requests/s against connections (log scale), both servers."""
    points = sorted((c, m) for (p, c, d), m in summary.items() if p == proto and d == depth)
    if not points:
        return
    width, height, left, bottom, top = 640, 360, 80, 50, 40
    xs = [c for c, _ in points]
    ymax = max(max(m["w", "rps"] or 0, m["t", "rps"] or 0) for _, m in points) * 1.15
    import math
    lx = lambda c: left + (math.log10(c) - math.log10(xs[0])) / max(1e-9, math.log10(xs[-1]) - math.log10(xs[0])) * (width - left - 30)
    ly = lambda v: height - bottom - v / ymax * (height - bottom - top)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{proto.upper()} echo, 64 B, depth {depth}: requests/s vs connections</text>',
           f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" y2="{height - bottom}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#333"/>']
    for c in xs:
        out.append(f'<text x="{lx(c):.1f}" y="{height - bottom + 18}" text-anchor="middle">{c}</text>')
    for k in range(5):
        v = ymax * k / 4
        out.append(f'<text x="{left - 6}" y="{ly(v) + 4:.1f}" text-anchor="end">{v / 1000:.0f}k</text>')
    for key, name in (("w", "wakeful"), ("t", "tokio")):
        pts = " ".join(f"{lx(c):.1f},{ly(m[key, 'rps'] or 0):.1f}" for c, m in points)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{COLORS[name]}" stroke-width="2.5"/>')
    for i, name in enumerate(("wakeful", "tokio")):
        out.append(f'<rect x="{width - 150}" y="{top + i * 18}" width="12" height="12" fill="{COLORS[name]}"/>')
        out.append(f'<text x="{width - 132}" y="{top + i * 18 + 11}">{name}</text>')
    out.append(f'<text x="{(left + width) / 2}" y="{height - 10}" text-anchor="middle">connections</text>')
    out.append("</svg>")
    write(path, out)


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}", file=sys.stderr)


def main():
    if sys.argv[1:2] == ["--syscalls"]:
        if len(sys.argv) != 3:
            sys.exit("usage: benches/report.py --syscalls RESULTS.CSV")
        print(syscall_table(sys.argv[2]))
        return
    report = []
    results = criterion_results()
    if results:
        table, ratios = criterion_table(results)
        report += ["## criterion: wakeful vs tokio current-thread (mean time; ratio < 1: wakeful faster)", "", table, ""]
        svg_ratio_chart(f"{DOCS}/criterion-ratio.svg", "criterion: wakeful time / tokio time (lower is better)", ratios)
    if len(sys.argv) > 1:
        table, summary = echo_tables(sys.argv[1])
        report += ["## echo servers under loadgen (medians)", "", table, ""]
        report += ["## syscalls per request by name (medians)", "", syscall_table(sys.argv[1]), ""]
        svg_rps_chart(f"{DOCS}/echo-rps.svg", summary)
        cpu = [(f"{p} {c} conns d{d}", m["w", "cpu_us_per_req"] / m["t", "cpu_us_per_req"])
               for (p, c, d), m in sorted(summary.items()) if m["w", "cpu_us_per_req"] and m["t", "cpu_us_per_req"]]
        svg_ratio_chart(f"{DOCS}/echo-cpu-ratio.svg", "echo: server CPU per request, wakeful / tokio (lower is better)", cpu)
    memory = os.path.join(os.path.dirname(sys.argv[1]) if len(sys.argv) > 1 else "target/compare", "memory.csv")
    if os.path.exists(memory):
        with open(memory) as f:
            rows = list(csv.DictReader(f))
        report += ["## memory per idle connection (server RSS growth with 10 000 idle connections)", "",
                   "| server | bytes per connection |", "|---|---:|"]
        report += [f"| {r['server']} | {int(r['bytes_per_conn']):,} |" for r in rows]
        report.append("")
    print("\n".join(report))


if __name__ == "__main__":
    main()
