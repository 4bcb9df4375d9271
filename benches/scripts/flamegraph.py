#!/usr/bin/env python3
"""Flame graphs of lancer's processes, from `perf` samples, as self-contained SVG files.

    flamegraph.py record OUT.svg [--freq HZ] -- COMMAND ARGS...   # sample COMMAND, draw it
    flamegraph.py draw OUT.svg < perf-script.txt                  # draw `perf script` output

Needs `perf` (Linux) and a binary with symbols (the release profile keeps debug info).
Frames are merged by function (offsets and addresses dropped); each box's width is its
share of the samples, and hovering it shows the function and that share. Stacks come from
frame pointers and DWARF unwinding as `perf record --call-graph` gives them.
"""

import html
import os
import subprocess
import sys
import tempfile
import zlib

WIDTH = 1200
ROW = 16
FONT = 11
MIN_WIDTH = 2.0  # boxes narrower than this (in pixels) are left out


def fold(lines):
    """Counts of each stack (root first), from `perf script` text."""
    counts = {}
    stack, comm = [], None
    for line in list(lines) + [""]:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                key = tuple([comm] + stack[::-1])
                counts[key] = counts.get(key, 0) + 1
            stack, comm = [], None
            continue
        if not line[0].isspace():
            # "comm pid [cpu] time: period event:" opens a sample.
            comm = line.split()[0]
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        name = parts[1]
        # "symbol+0x1f (dso)": keep the symbol, or the dso when there is none.
        if name.endswith(")") and " (" in name:
            name, dso = name[: name.rindex(" (")], name[name.rindex(" (") + 2 : -1]
            if name == "[unknown]":
                name = "[" + os.path.basename(dso) + "]"
        if "+0x" in name:
            name = name[: name.rindex("+0x")]
        stack.append(name)
    return counts


def tree(counts):
    root = {"name": "all", "value": 0, "children": {}}
    for stack, n in counts.items():
        root["value"] += n
        node = root
        for name in stack:
            node = node["children"].setdefault(name, {"name": name, "value": 0, "children": {}})
            node["value"] += n
    return root


def color(name):
    h = zlib.crc32(name.encode()) & 0xFFFF
    if name.startswith(("lancer", "<lancer", "bench::")) or "lancer_" in name:
        return "rgb(%d,%d,%d)" % (60 + h % 60, 140 + h % 80, 200 + h % 55)
    if name.startswith("[") or "kernel" in name:
        return "rgb(%d,%d,%d)" % (200 + h % 55, 120 + h % 60, 120 + h % 50)
    return "rgb(%d,%d,%d)" % (225 + h % 30, 110 + h % 110, 40 + h % 40)


def draw(root, title):
    boxes = []
    depth_max = [0]

    def walk(node, x, depth):
        width = node["value"] / root["value"] * (WIDTH - 20)
        if width < MIN_WIDTH:
            return
        depth_max[0] = max(depth_max[0], depth)
        boxes.append((node, x, depth, width))
        child_x = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            walk(child, child_x, depth + 1)
            child_x += child["value"] / root["value"] * (WIDTH - 20)

    walk(root, 10.0, 0)
    height = (depth_max[0] + 1) * ROW + 60
    out = [
        '<?xml version="1.0" standalone="no"?>',
        f'<svg version="1.1" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="rgb(250,250,245)"/>',
        f'<text x="{WIDTH // 2}" y="24" font-size="16" font-family="Verdana" text-anchor="middle">{html.escape(title)}</text>',
    ]
    for node, x, depth, width in boxes:
        y = height - 20 - (depth + 1) * ROW
        share = 100.0 * node["value"] / root["value"]
        label = html.escape(node["name"])
        out.append(
            f'<g><title>{label} ({node["value"]} samples, {share:.2f}%)</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW - 1}" rx="2" fill="{color(node["name"])}"/>'
        )
        chars = int(width / (FONT * 0.6))
        if chars >= 3:
            text = node["name"] if len(node["name"]) <= chars else node["name"][: chars - 2] + ".."
            out.append(
                f'<text x="{x + 3:.1f}" y="{y + ROW - 4}" font-size="{FONT}" font-family="Verdana">{html.escape(text)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) >= 2 and argv[0] == "draw":
        counts = fold(sys.stdin)
        if not counts:
            sys.exit("no samples in the input")
        with open(argv[1], "w") as f:
            f.write(draw(tree(counts), os.path.basename(argv[1])))
        return
    if len(argv) >= 4 and argv[0] == "record" and "--" in argv:
        out, split = argv[1], argv.index("--")
        freq = "999"
        if "--freq" in argv[:split]:
            freq = argv[argv.index("--freq") + 1]
        command = argv[split + 1 :]
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "perf.data")
            subprocess.run(
                ["perf", "record", "-q", "-F", freq, "--call-graph", "dwarf,16384", "-o", data, "--"]
                + command,
                check=True,
            )
            script = subprocess.run(
                ["perf", "script", "-i", data, "-F", "comm,ip,sym,dso"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        counts = fold(script.splitlines())
        if not counts:
            sys.exit("perf recorded no samples")
        with open(out, "w") as f:
            f.write(draw(tree(counts), " ".join(os.path.basename(c) for c in command[:3])))
        print(f"{out}: {sum(counts.values())} samples")
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
