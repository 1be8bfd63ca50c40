"""`make bench`: every benchmark side by side with its anchors; ratios printed, JSON saved.

Usage: python -m benchmarks [--repeats N] [--json out/benchmarks.json]
"""

import argparse
import json
import os
import platform
import tempfile

from . import batched, engine, profile


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
    except ImportError as err:
        print(f"skipped: {err} (pip install 'chainrule[bench]')")
    print("\n== Where the time goes (cProfile, own time) ==")
    results["profile"] = profile.run()
    for title, text in results["profile"].items():
        print(f"-- {title}\n{text}")
    folder = os.path.dirname(args.json) or "."
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as f:
        json.dump(results, f, indent=2)
    os.replace(f.name, args.json)
    print(f"\nResults written to {args.json}")


if __name__ == "__main__":
    main()
