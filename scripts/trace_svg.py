#!/usr/bin/env python3
"""Render a wakeful trace (Chrome Trace Event JSON, `WAKEFUL_TRACE=trace.json`) as
an SVG timeline: one row per track (the reactor, the block_on future, each task),
a box per poll and per reactor wait, and an arrow per wake from its cause to the
poll it led to. Standard library only.

    python3 scripts/trace_svg.py trace.json trace.svg [--pid N] [--from US] [--to US] [--width PX]

A file cut short (the process killed, the runtime leaked) is read as far as it goes.
Times are the trace's microseconds; --from/--to cut a window out of a long trace.
"""

import argparse
import json
import re
import sys
from xml.sax.saxutils import escape as escape_markup

# Characters XML 1.0 forbids even escaped (a task's name may hold them: the JSON
# escapes them, and they come back from it).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text):
    """`text` for the SVG: markup escaped, forbidden characters shown as \\uXXXX."""
    return escape_markup(NOT_XML.sub(lambda m: "\\u%04x" % ord(m.group()), text))


LABEL_W = 230  # the track names' column
ROW_H = 26  # one track
TOP = 40  # the time axis
COLOURS = {
    "pending": "#4c78a8",
    "ready": "#54a24b",
    "cancelled": "#b279a2",
    "panicked": "#e45756",
    "wait": "#c7c7c7",
    "look": "#e6e6e6",
}


def load(path):
    """The events of a trace file, closed (`]`) or not."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        events = json.loads(text)
    except json.JSONDecodeError:
        # The array form may be unterminated: close it, as the viewers do.
        events = json.loads(text.rstrip().rstrip(",") + "]")
    if not isinstance(events, list):
        events = events.get("traceEvents", [])
    return events


def tracks_of(events, pid):
    """(tid, name) of every named track of `pid`, in the trace's sort order."""
    names, order = {}, {}
    for e in events:
        if e.get("ph") != "M" or e.get("pid") != pid:
            continue
        if e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
        elif e.get("name") == "thread_sort_index":
            order[e["tid"]] = e["args"]["sort_index"]
    return sorted(names.items(), key=lambda item: (order.get(item[0], 0), item[0]))


def render(events, pid=None, start=None, end=None, width=1200):
    if pid is None:
        pids = [e["pid"] for e in events if e.get("ph") == "X"]
        pid = pids[0] if pids else 1
    events = [e for e in events if e.get("pid") == pid]
    slices = [e for e in events if e.get("ph") == "X"]
    lo = min((e["ts"] for e in slices), default=0.0) if start is None else start
    hi = max((e["ts"] + e["dur"] for e in slices), default=1.0) if end is None else end
    hi = max(hi, lo + 1e-3)
    tracks = [(tid, name) for tid, name in tracks_of(events, pid)]
    row = {tid: i for i, (tid, _) in enumerate(tracks)}
    plot_w = width - LABEL_W - 10
    height = TOP + ROW_H * len(tracks) + 10

    def x(ts):
        return LABEL_W + (min(max(ts, lo), hi) - lo) / (hi - lo) * plot_w

    def y(tid):
        return TOP + ROW_H * row[tid]

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
        'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#d62728"/></marker></defs>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
    ]
    # The time axis: five ticks, in ms from the window's start.
    for i in range(6):
        ts = lo + (hi - lo) * i / 5
        tx = x(ts)
        out.append(f'<line x1="{tx:.1f}" y1="{TOP - 8}" x2="{tx:.1f}" y2="{height - 10}" stroke="#eee"/>')
        out.append(f'<text x="{tx:.1f}" y="{TOP - 12}" text-anchor="middle">{(ts - lo) / 1000:.3f} ms</text>')
    for tid, name in tracks:
        ty = y(tid)
        out.append(f'<g class="track" data-tid="{tid}">')
        out.append(f'<line x1="{LABEL_W}" y1="{ty + ROW_H:.1f}" x2="{width - 10}" y2="{ty + ROW_H:.1f}" stroke="#ddd"/>')
        out.append(f'<text class="track-name" x="6" y="{ty + ROW_H / 2 + 4:.1f}">{escape(name)}</text>')
        out.append("</g>")
    for e in slices:
        if e["tid"] not in row or e["ts"] + e["dur"] < lo or e["ts"] > hi:
            continue
        kind = e["args"].get("outcome", e["name"])
        x0, x1 = x(e["ts"]), x(e["ts"] + e["dur"])
        tip = f'{e["name"]} {kind} at {e["ts"]:.3f} us for {e["dur"]:.3f} us'
        if e.get("cat") == "reactor":
            a = e["args"]
            tip += f' (timeout {a.get("timeout_ms")} ms, woke {a.get("woken")}, events {a.get("events")}, timers {a.get("timers")})'
        out.append(
            f'<rect class="{escape(e.get("cat", ""))}" x="{x0:.2f}" y="{y(e["tid"]) + 4}" '
            f'width="{max(x1 - x0, 1.0):.2f}" height="{ROW_H - 8}" fill="{COLOURS.get(kind, "#999")}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    starts = {e["id"]: e for e in events if e.get("ph") == "s"}
    for end_event in (e for e in events if e.get("ph") == "f"):
        begin = starts.get(end_event["id"])
        if begin is None or begin["tid"] not in row or end_event["tid"] not in row:
            continue
        if end_event["ts"] < lo or begin["ts"] > hi:
            continue
        x0, y0 = x(begin["ts"]), y(begin["tid"]) + ROW_H / 2
        x1, y1 = x(end_event["ts"]), y(end_event["tid"]) + ROW_H / 2
        out.append(
            f'<path class="flow" d="M {x0:.2f} {y0:.1f} C {x0 + 12:.2f} {y0:.1f}, {x1 - 12:.2f} {y1:.1f}, '
            f'{x1:.2f} {y1:.1f}" stroke="#d62728" fill="none" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("svg")
    parser.add_argument("--pid", type=int, help="the runtime to draw (default: the first)")
    parser.add_argument("--from", dest="start", type=float, help="window start, trace microseconds")
    parser.add_argument("--to", dest="end", type=float, help="window end, trace microseconds")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args(argv)
    svg = render(load(args.trace), args.pid, args.start, args.end, args.width)
    with open(args.svg, "w", encoding="utf-8") as f:
        f.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
