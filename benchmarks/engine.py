"""The engine against micrograd 0.1.0: (A) README expression, (B) moons training step,
(C) deepest chain that backprops, (D) bytes per node.  Run: make bench
"""

import random
import sys
import tracemalloc

import numpy as np

import autograd
import nn
from autograd import Value

from .common import interleaved, ratio


def readme_expression(V):
    """micrograd's README example, built and backpropagated once."""
    a, b = V(-4.0), V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g


def moons(n=100, noise=0.1, seed=1):
    """Two interleaving half circles, labels -1/+1 (numpy, as micrograd's demo gets them)."""
    rng = np.random.default_rng(seed)
    t = np.pi * rng.random(n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return X, np.where(upper, -1.0, 1.0)


class MoonsStep:
    """micrograd's demo step: MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2, full batch SGD."""

    def __init__(self, V, MLP, X, y):
        random.seed(1337)
        self.V, self.model, self.X, self.y = V, MLP(2, [16, 16, 1]), X, y

    def forward(self):
        V, model = self.V, self.model
        inputs = [list(map(V, xrow)) for xrow in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = 1e-4 * sum(p * p for p in model.parameters())
        self.loss = data_loss + reg

    def backward(self):
        self.model.zero_grad()
        self.loss.backward()

    def update(self, lr=0.5):
        for p in self.model.parameters():
            p.data -= lr * p.grad


def deepest_chain(V, limit=1_000_000):
    """The longest x * 1.0 * 1.0 ... chain whose backward() succeeds, doubling up to limit."""
    depth, best = 100, 0
    while depth <= limit:
        x = V(1.0)
        y = x
        try:
            for _ in range(depth // 2):  # each step adds a constant and a product
                y = y * 1.0
            y.backward()
        except RecursionError:
            return best
        best = depth
        depth = min(depth * 2, limit) if depth < limit else limit + 1
    return best


def bytes_per_node(V, build):
    """Memory the graph holds per node, measured with tracemalloc around build()."""
    tracemalloc.start()
    out = build(V)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    seen, stack = {id(out)}, [out]
    while stack:
        node = stack.pop()
        for inp in getattr(node, "inputs", None) or getattr(node, "_prev", ()):
            if id(inp) not in seen:
                seen.add(id(inp))
                stack.append(inp)
    return held / len(seen), len(seen)


def relu_chain(V, n=20_000):
    """relu(x * w) repeated: one binary and one unary node a step (micrograd has no tanh)."""
    x, w = V(0.5), V(0.9)
    for _ in range(n):
        x = (x * w).relu()
    return x


def run(repeats=5):
    """Run A to D; return a dict of results (seconds, ratios, bytes)."""
    import micrograd.engine as mge
    import micrograd.nn as mgn

    res = {}
    loops = 2000

    def expressions(V):
        def go():
            for _ in range(loops):  # each graph is dropped before the next is built
                readme_expression(V)

        return go

    t = interleaved({"micrograd": expressions(mge.Value), "chainrule": expressions(Value)}, repeats)
    res["A_readme_expression"] = {
        "seconds": t,
        "loops": loops,
        "speedup": ratio(t["micrograd"], t["chainrule"]),
    }

    X, y = moons()
    for kind, (Xd, yd) in {
        "numpy data (as in micrograd's demo)": (X, y),
        "plain lists": (X.tolist(), y.tolist()),
    }.items():
        steps = {
            "micrograd": MoonsStep(mge.Value, mgn.MLP, Xd, yd),
            "chainrule": MoonsStep(Value, nn.MLP, Xd, yd),
        }
        phases = {}
        for phase in ("forward", "backward", "update"):
            calls = {}
            for name, s in steps.items():
                calls[name] = getattr(s, phase)
            if phase == "forward":
                phases[phase] = interleaved(calls, repeats)
            else:  # each phase needs the forward before it: time only the phase itself
                phases[phase] = {name: 0.0 for name in steps}
                for _ in range(repeats):
                    for name, s in steps.items():
                        s.forward()
                        if phase == "update":
                            s.backward()
                        phases[phase][name] += (
                            interleaved({name: getattr(s, phase)}, 1)[name] / repeats
                        )
        total = {n: sum(phases[p][n] for p in phases) for n in steps}
        res[f"B_moons_step ({kind})"] = {
            "phases": phases,
            "step_seconds": total,
            "speedup": ratio(total["micrograd"], total["chainrule"]),
            "nodes": len(autograd.topological_order(steps["chainrule"].loss)),
        }

    res["C_deepest_chain"] = {
        "micrograd": deepest_chain(mge.Value),
        "chainrule": deepest_chain(Value),
    }

    def mlp_graph(V, MLP):
        random.seed(0)
        model = MLP(2, [16, 16, 1])
        return lambda V: model([V(0.5), V(-1.0)])

    d = {}
    for name, V, MLP in (("micrograd", mge.Value, mgn.MLP), ("chainrule", Value, nn.MLP)):
        d[name] = {
            "relu(x*w) chain": bytes_per_node(V, relu_chain)[0],
            "MLP(2,[16,16,1]) forward": bytes_per_node(V, mlp_graph(V, MLP))[0],
        }
    res["D_bytes_per_node"] = d
    return res


def report(res):
    """Print the results as a small table."""
    a = res["A_readme_expression"]
    t = a["seconds"]
    print(f"(A) README expression x{a['loops']}: micrograd {t['micrograd']:.3f} s, ", end="")
    print(f"chainrule {t['chainrule']:.3f} s -> {a['speedup']:.1f}x faster")
    for key, b in res.items():
        if key.startswith("B_"):
            m, c = b["step_seconds"]["micrograd"], b["step_seconds"]["chainrule"]
            print(f"(B) moons step, {key[14:-1]}, {b['nodes']} nodes:")
            print(
                f"      step     micrograd {m * 1e3:8.1f} ms   chainrule {c * 1e3:8.1f} ms", end=""
            )
            print(f"   {b['speedup']:5.1f}x")
            for phase, t in b["phases"].items():
                m, c = t["micrograd"], t["chainrule"]
                print(
                    f"      {phase:8} micrograd {m * 1e3:8.1f} ms   chainrule {c * 1e3:8.1f} ms",
                    end="",
                )
                print(f"   {ratio(m, c):5.1f}x")
    c = res["C_deepest_chain"]
    print(
        f"(C) deepest chain that backprops (tried up to 1,000,000): micrograd {c['micrograd']:,},",
        end="",
    )
    print(f" chainrule {c['chainrule']:,}")
    for graph in res["D_bytes_per_node"]["chainrule"]:
        m = res["D_bytes_per_node"]["micrograd"][graph]
        ours = res["D_bytes_per_node"]["chainrule"][graph]
        print(f"(D) bytes per node, {graph}: micrograd {m:.0f}, chainrule {ours:.0f}")


if __name__ == "__main__":
    report(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
