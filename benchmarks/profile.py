"""Where the time goes: cProfile summaries of the eager, batched and taped moons steps.

Run: python -m benchmarks.profile
"""

import cProfile
import io
import pstats

from autograd import Value

from .batched import ChainruleBatchStep, ChainruleTapeStep
from .engine import MoonsStep, moons


def summary(fn, repeats=5, top=8):
    """The functions with the most time of their own while fn() runs `repeats` times."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(lines[start : start + top + 1])


def run():
    import nn

    X, y = moons()
    eager = MoonsStep(Value, nn.MLP, X.tolist(), y.tolist())

    def eager_step():
        eager.forward()
        eager.backward()
        eager.update()

    return {
        "eager moons step (65,818 nodes)": summary(eager_step, repeats=2),
        "batched moons step (1,664 nodes, 649 of them batches)": summary(
            ChainruleBatchStep(X, y), repeats=50
        ),
        "the batched step replayed from a Tape (47 steps: 44 numpy groups)": summary(
            ChainruleTapeStep(X, y), repeats=200
        ),
    }


if __name__ == "__main__":
    for title, text in run().items():
        print(f"== {title} ==\n{text}\n")
