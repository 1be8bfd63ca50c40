"""Weight initialisers: where a network's first numbers come from, and why the scale matters.

Each initialiser draws one weight from (fan_in, fan_out, rng). The wrong scale makes signals
shrink or grow layer by layer, which is where vanishing and exploding gradients start.
"""

import math
import random


def as_rng(rng):
    """A random.Random from a seed, a random.Random, or None (Python's global generator)."""
    if rng is None or rng is random:
        return random  # the module: micrograd's demo seeds it with random.seed(1337)
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"rng: expected a seed (int), a random.Random or None, got {rng!r}")


def uniform(fan_in, fan_out, rng):
    """U(-1, 1), whatever the layer's size: micrograd's choice."""
    return rng.uniform(-1.0, 1.0)


def xavier_uniform(fan_in, fan_out, rng):
    """Glorot: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), so Var = 2 / (fan_in + fan_out)."""
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a)


def xavier_normal(fan_in, fan_out, rng):
    """Glorot: N(0, 2 / (fan_in + fan_out)); keeps the variance of signals and gradients even.

    The source tutorial writes Xavier as randn / sqrt(fan_in): the same when fan_in == fan_out.
    """
    return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def he_uniform(fan_in, fan_out, rng):
    """He (Kaiming) for ReLU: U(-a, a) with a = sqrt(6 / fan_in), so Var = 2 / fan_in."""
    a = math.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a)


def he_normal(fan_in, fan_out, rng):
    """He (Kaiming) for ReLU: N(0, 2 / fan_in), i.e. randn / sqrt(fan_in / 2); ReLU halves Var."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


INITS = {
    "uniform": uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_uniform": he_uniform,  # PyTorch's names
    "kaiming_normal": he_normal,
}


def get_init(init):
    """An initialiser by name, or a callable (fan_in, fan_out, rng) -> float, as it is."""
    if callable(init):
        return init
    try:
        return INITS[init]
    except (KeyError, TypeError):
        allowed = ", ".join(repr(k) for k in INITS)
        raise ValueError(f"unknown init {init!r}; choose one of {allowed}") from None
