"""`make bench`: every benchmark side by side with its anchors; ratios printed, JSON saved.

Usage: python -m benchmarks [--repeats N] [--json out/benchmarks.json]
"""

import argparse
import json
import os
import platform
import tempfile

from . import batched, digits, engine, profile, render


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
    try:
        results["batched"] = batched.run()
        batched.report(results["batched"])
        results["digits"] = digits.run()
        digits.report(results["digits"])
    except ImportError as err:
        print(f"skipped: {err} (pip install 'chainrule[bench]')")
    print("\n== Where the time goes (cProfile, own time) ==")
    results["profile"] = profile.run()
    for title, text in results["profile"].items():
        print(f"-- {title}\n{text}")
    print("\n== Drawing MLP(2, [16, 16, 1]) to SVG (viz + Graphviz dot, medians) ==")
    try:
        results["render"] = render.run()
        render.report(results["render"])
    except RuntimeError as err:  # no Graphviz: the other benchmarks still count
        print(f"skipped: {err}")
    print("\n== Summary: ratios measured side by side in this run ==")
    for line in summary(results):
        print(line)
    folder = os.path.dirname(args.json) or "."
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as f:
        json.dump(results, f, indent=2)
    os.replace(f.name, args.json)
    print(f"\nResults written to {args.json}")


def summary(results):
    """One table of every ratio in `results`, for the README and the issue notes."""
    rows = [("benchmark", "anchor", "ratio")]
    e = results["engine"]
    rows.append(("README expression, built + backprop", "micrograd", _x(e["A_readme_expression"])))
    for key, b in e.items():
        if key.startswith("B_"):
            rows.append((f"moons step, eager ({key[14:-1]})", "micrograd", _x(b)))
    if "batched" in results:
        b = results["batched"]
        if "faster_than_micrograd" in b:
            rows.append(
                ("moons step, batched", "micrograd", f"{b['faster_than_micrograd']:.0f}x faster")
            )
        rows.append(("moons step, batched", "PyTorch", f"{b['times_pytorch']:.1f}x its time"))
        if "tape_times_pytorch" in b:
            rows.append(
                (
                    "moons step, batched, tape",
                    "micrograd",
                    f"{b['tape_faster_than_micrograd']:.0f}x faster",
                )
            )
            rows.append(
                ("moons step, batched, tape", "PyTorch", f"{b['tape_times_pytorch']:.1f}x its time")
            )
    if "digits" in results:
        d = results["digits"]
        rows.append(
            ("digits epoch, batches of 64", "PyTorch", f"{d['times_pytorch']:.1f}x its time")
        )
        rows.append(
            ("digits epoch, nn.fit (tape)", "PyTorch", f"{d['tape_times_pytorch']:.1f}x its time")
        )
        fit = d["to_95"]
        rows.append(("digits to 95% test accuracy", "(30 s goal)", f"{fit['seconds']:.1f} s"))
    for view in ("whole", "collapsed"):
        if "render" in results:
            r = results["render"][view]
            rows.append(
                (
                    f"MLP(2,[16,16,1]) to SVG, {view}",
                    f"(< {r['target_seconds']:g} s goal)",
                    f"{r['seconds']:.2f} s, {r['boxes']} boxes",
                )
            )
    c = e["C_deepest_chain"]
    rows.append(
        ("deepest chain that backprops", "micrograd", f"{c['chainrule']:,} vs {c['micrograd']:,}")
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
