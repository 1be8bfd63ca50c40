"""`make bench`: every benchmark side by side with its anchors; ratios printed, JSON saved.

A section whose tools are missing (PyTorch, a layout program) is skipped, and the summary
still lists each of its rows with the reason, so a short table is never mistaken for a full one.

Usage: python -m benchmarks [--repeats N] [--json out/benchmarks.json]
"""

import argparse
import json
import os
import platform
import tempfile

from viz.render import GraphvizNotFoundError

from . import batched, digits, engine, profile, render, renderers, sweep

BENCH = "pip install 'chainrule[bench]'"

# The rows each optional section adds to the summary, in order: (benchmark, anchor).
ROWS = {
    "batched": [
        ("moons step, batched", "micrograd"),
        ("moons step, batched", "PyTorch"),
        ("moons step, batched, tape", "micrograd"),
        ("moons step, batched, tape", "PyTorch"),
    ],
    "digits": [
        ("digits epoch, batches of 64", "PyTorch"),
        ("digits epoch, nn.fit (tape)", "PyTorch"),
        ("digits to 95% test accuracy", "(30 s goal)"),
    ],
    "sweep": [
        (f"moons sweep, {mode}, width {w}, {n:,} point{'s' * (n > 1)}", "PyTorch")
        for mode, (w, n) in [("tape", key) for key in sweep.GOALS] + [("numpy", sweep.FLOOR)]
    ],
    "render": [
        (f"MLP(2,[16,16,1]) to SVG, {view}", f"(< {seconds:g} s goal)")
        for view, seconds in render.TARGETS.items()
    ],
    "renderers": [
        ("lesson pictures, graphviz-pure", "dot"),
        ("MLP(2,[16,16,1]) to SVG, whole, dot", "(measured)"),
        ("MLP(2,[16,16,1]) to SVG, whole, graphviz-pure", "(measured)"),
    ],
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default="out/benchmarks.json")
    args = parser.parse_args(argv)
    results = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    print("== Engine vs micrograd 0.1.0 (one process, interleaved repeats, medians) ==")
    results["engine"] = engine.run(args.repeats)
    engine.report(results["engine"])
    print("\n== Batched mode vs PyTorch 2.13 (CPU, one thread, float64) ==")
    section(results, "batched", batched.run, batched.report)
    section(results, "digits", digits.run, digits.report)
    print("\n== Sweep: MLP(2, [w, w, 1]) moons step, widths x batches (one thread, medians) ==")
    section(results, "sweep", lambda: sweep.run(args.repeats), sweep.report)
    print("\n== Where the time goes (cProfile, own time) ==")
    results["profile"] = profile.run()
    for title, text in results["profile"].items():
        print(f"-- {title}\n{text}")
    print("\n== Drawing MLP(2, [16, 16, 1]) to SVG (viz + a layout program, medians) ==")
    section(results, "render", render.run, render.report)
    print("\n== The lessons' pictures: Graphviz's dot against graphviz-pure (medians of 3) ==")
    section(results, "renderers", renderers.run, renderers.report)
    print("\n== Summary: ratios measured side by side in this run ==")
    for line in summary(results):
        print(line)
    folder = os.path.dirname(args.json) or "."
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as f:
        json.dump(results, f, indent=2)
    os.replace(f.name, args.json)
    print(f"\nResults written to {args.json}")


def section(results, key, run, report):
    """Run one optional section into results[key] and report it; if a tool it needs is
    missing, record why in results["skipped"][key] instead, so the summary can say so."""
    try:
        results[key] = run()
    except ImportError as err:  # torch or micrograd: the bench extra
        reason = f"{err.name or err} is not installed ({BENCH})"
    except GraphvizNotFoundError as err:  # render and renderers raise it in one line
        reason = f"{err} (pip install graphviz-pure, or install Graphviz)"
    else:
        report(results[key])
        return
    results.setdefault("skipped", {})[key] = reason
    print(f"skipped: {reason}")


def skipped_rows(key, reason):
    """The summary rows of a section that did not run, each saying why."""
    return [(benchmark, anchor, f"skipped: {reason}") for benchmark, anchor in ROWS[key]]


def cells(key, res):
    """The ratio column of section `key`'s rows, in ROWS order; None where not measured."""
    if key == "batched":
        return [
            f"{res['faster_than_micrograd']:.0f}x faster"
            if "faster_than_micrograd" in res
            else None,
            f"{res['times_pytorch']:.1f}x its time",
            f"{res['tape_faster_than_micrograd']:.0f}x faster"
            if "tape_faster_than_micrograd" in res
            else None,
            f"{res['tape_times_pytorch']:.1f}x its time" if "tape_times_pytorch" in res else None,
        ]
    if key == "digits":
        return [
            f"{res['times_pytorch']:.1f}x its time",
            f"{res['tape_times_pytorch']:.1f}x its time",
            f"{res['to_95']['seconds']:.1f} s",
        ]
    if key == "sweep":
        return sweep.goal_cells(res)
    if key == "render":
        drawn = f"{res['renderer']} {res['version']}"
        return [
            f"{res[v]['seconds']:.2f} s, {res[v]['boxes']} boxes, {drawn}" for v in render.TARGETS
        ]
    times = [lesson["seconds"] for lesson in res["lessons"].values() if lesson]
    total = {r: sum(t[r] for t in times) for r in ("dot", "graphviz-pure")}
    mlp, v = res["mlp_whole_svg"], res["versions"]
    return [
        f"{total['graphviz-pure'] / total['dot']:.2f}x its time ({len(times)} lessons)",
        f"{mlp['dot']:.2f} s, dot {v['dot']}",
        f"{mlp['graphviz-pure']:.2f} s, graphviz-pure {v['graphviz-pure']}",
    ]


def summary(results):
    """One table of every ratio in `results`, for the README and the issue notes; a section
    that was skipped keeps its rows, with the reason in place of the ratio."""
    rows = [("benchmark", "anchor", "ratio")]
    e = results.get("engine")
    if e:
        rows.append(
            ("README expression, built + backprop", "micrograd", _x(e["A_readme_expression"]))
        )
        for key, b in e.items():
            if key.startswith("B_"):
                rows.append((f"moons step, eager ({key[14:-1]})", "micrograd", _x(b)))
    for key in ROWS:
        if key in results:
            measured = zip(ROWS[key], cells(key, results[key]))
            rows += [(*label, cell) for label, cell in measured if cell is not None]
        elif key in results.get("skipped", {}):
            rows += skipped_rows(key, results["skipped"][key])
    if e:
        c = e["C_deepest_chain"]
        rows.append(
            (
                "deepest chain that backprops",
                "micrograd",
                f"{c['chainrule']:,} vs {c['micrograd']:,}",
            )
        )
        for graph, ours in e["D_bytes_per_node"]["chainrule"].items():
            theirs = e["D_bytes_per_node"]["micrograd"][graph]
            rows.append((f"bytes per node, {graph}", "micrograd", f"{ours:.0f} vs {theirs:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _x(entry):
    return f"{entry['speedup']:.1f}x faster"


if __name__ == "__main__":
    main()
