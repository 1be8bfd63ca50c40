"""Drawing a network: the single-example graph of MLP(2, [16, 16, 1]) to SVG, whole and folded,
by the layout program viz uses here (the system's dot, else graphviz-pure; the report says).

Run: python -m benchmarks.render   (the issue's targets: whole < 5 s, folded < 1 s)
"""

import random
import re
import statistics
import time

import nn
import viz
from autograd import Value, topological_order
from viz import render as rendering

TARGETS = {"whole": 5.0, "collapsed": 1.0}  # seconds, from the graph-picture issue


def mlp_loss():
    """The loss of micrograd's demo network on one example, after backward()."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    loss = (model([Value(0.5, "x0"), Value(-1.2, "x1")]) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, loss


def draw(loss, model, **options):
    """What is timed: the graph drawn with draw_dot's options, laid out to SVG text."""
    return viz.to_svg(viz.draw_dot(loss, params=model, **options))


def run(repeats=3):
    """Time draw_dot + to_svg for each view; return {view: {seconds, boxes, ...}}."""
    try:  # the program viz will use: Graphviz's dot, or graphviz-pure where dot is missing
        program = rendering.renderer("benchmarks.render")
    except rendering.GraphvizNotFoundError:
        raise rendering.GraphvizNotFoundError(
            "no layout program: neither Graphviz's dot nor graphviz-pure is installed"
        ) from None
    model, loss = mlp_loss()
    res = {"renderer": program.name, "version": program.version}
    res["graph_nodes"] = len(topological_order(loss))
    for view, options in (("whole", {}), ("collapsed", {"collapse": True})):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            svg = draw(loss, model, **options)
            times.append(time.perf_counter() - t0)
        res[view] = {
            "seconds": statistics.median(times),
            "boxes": len(re.findall(r'class="node"', svg)),
            "edges": len(re.findall(r'class="edge"', svg)),
            "target_seconds": TARGETS[view],
        }
    return res


def report(res):
    """Print one line per view: time, size, and whether it meets the target."""
    print(f"MLP(2, [16, 16, 1]), one example: {res['graph_nodes']} values in the graph")
    print(f"  drawn by {res['renderer']} {res['version']}")
    for view in ("whole", "collapsed"):
        r = res[view]
        verdict = "ok" if r["seconds"] < r["target_seconds"] else "TOO SLOW"
        print(
            f"  {view:9} {r['seconds']:6.2f} s  ({r['boxes']} boxes, {r['edges']} edges;"
            f" target < {r['target_seconds']:g} s: {verdict})"
        )


if __name__ == "__main__":
    report(run())
