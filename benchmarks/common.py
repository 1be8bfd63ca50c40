"""Timing helpers shared by the benchmarks: interleaved repeats, medians, ratios."""

import gc
import statistics
import time


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
