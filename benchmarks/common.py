"""Timing helpers shared by the benchmarks: interleaved repeats, medians, ratios."""

import contextlib
import gc
import statistics
import time

try:  # numpy's BLAS held to one thread, as PyTorch is (torch.set_num_threads(1))
    from threadpoolctl import threadpool_limits
except ImportError:  # it comes with the bench extra (and scikit-learn)
    threadpool_limits = None


def interleaved(contenders, repeats):
    """Time each zero-argument callable in turn, `repeats` rounds; return {name: median s}.

    Interleaving the contenders round by round means a noisy moment on this shared machine
    hurts all of them alike, so the ratios stay honest even when absolute times drift.
    """
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            gc.collect()  # start each from a clean heap: no one pays for another's garbage
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def ratio(slow, fast):
    """How many times faster `fast` is than `slow`."""
    return slow / fast if fast > 0 else float("inf")


@contextlib.contextmanager
def one_thread():
    """numpy's BLAS on one thread for the block, as PyTorch runs here; yields what it set.

    Two BLAS threads beside a one-thread PyTorch on this 2-core machine made numpy's matrix
    products (the tape's backward) tens of times slower, so every contender gets one.
    """
    if threadpool_limits is None:
        yield "BLAS default (threadpoolctl is not installed)"
        return
    with threadpool_limits(1):
        yield "1 (threadpoolctl)"
