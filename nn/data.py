"""Data sets for the lessons (numpy, seeded) and iteration over them in batches.

Generators return (X, y): X an (n, features) float array, y an int array of class labels
(0, 1, ...). For hinge loss, which wants -1/+1, use `2 * y - 1`.
"""

import math

import numpy as np

GATES = {
    "and": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]),
    "or": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]),
    "xor": ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]),
    "not": ([[0], [1]], [1, 0]),
}


def _generator(seed):
    """A numpy Generator from a seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed: expected an int, a numpy Generator or None, got {seed!r}")


def _whole(n):
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def _check_n(where, n, least=1):
    if not _whole(n) or n < least:
        raise ValueError(f"{where}: n must be a whole number >= {least}, got {n!r}")


def logic_gate(name):
    """The truth table of 'and', 'or', 'not' or 'xor' as (X, y), inputs and outputs 0 or 1."""
    try:
        X, y = GATES[name]
    except (KeyError, TypeError):
        allowed = ", ".join(repr(k) for k in GATES)
        raise ValueError(f"logic_gate: unknown gate {name!r}; choose one of {allowed}") from None
    return np.array(X, dtype=float), np.array(y)


def make_moons(n=100, noise=0.1, seed=None):
    """Two interleaving half circles (class 0 on top, class 1 below), shuffled, plus noise.

    Drawn exactly as scikit-learn's make_moons draws them (numpy's RandomState: shuffle, then
    noise), so make_moons(100, 0.1, seed=1337) is micrograd's demo set, point for point.
    """
    _check_n("make_moons", n, 2)
    if isinstance(seed, np.random.RandomState):
        rs = seed
    elif seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        rs = np.random.RandomState(seed)
    else:
        raise TypeError(f"make_moons: seed must be an int, a RandomState or None, got {seed!r}")
    n_top = n // 2
    t_top, t_bottom = np.linspace(0, math.pi, n_top), np.linspace(0, math.pi, n - n_top)
    top = np.stack([np.cos(t_top), np.sin(t_top)], axis=1)
    bottom = np.stack([1 - np.cos(t_bottom), 1 - np.sin(t_bottom) - 0.5], axis=1)
    X = np.concatenate([top, bottom])
    y = np.repeat([0, 1], [n_top, n - n_top])
    order = np.arange(n)
    rs.shuffle(order)
    X, y = X[order], y[order]
    return X + rs.normal(scale=noise, size=X.shape), y


def make_circles(n=100, noise=0.05, factor=0.5, seed=None):
    """A circle of radius 1 (class 0) around one of radius `factor` (class 1), plus noise."""
    _check_n("make_circles", n, 2)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor!r}")
    rng = _generator(seed)
    n_out = n // 2
    angles = np.concatenate(
        [
            np.linspace(0, 2 * math.pi, n_out, endpoint=False),
            np.linspace(0, 2 * math.pi, n - n_out, endpoint=False),
        ]
    )
    radius = np.repeat([1.0, factor], [n_out, n - n_out])
    X = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    X = X + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n_out, n - n_out])
    order = rng.permutation(n)
    return X[order], y[order]


def make_spiral(n=300, classes=3, noise=0.2, seed=None):
    """`classes` arms spiralling out from the centre (CS231n's set); n points in all."""
    _check_n("make_spiral", n, classes)
    _check_n("make_spiral: classes", classes, 2)
    rng = _generator(seed)
    counts = [n // classes + (1 if j < n % classes else 0) for j in range(classes)]
    parts, labels = [], []
    for j, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, m) + noise * rng.standard_normal(m)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(m, j))
    X, y = np.concatenate(parts), np.concatenate(labels)
    order = rng.permutation(n)
    return X[order], y[order]


def make_blobs(n=100, centers=3, std=1.0, features=2, seed=None):
    """Gaussian clusters: `centers` random centres in [-10, 10]^features, or an array of them."""
    _check_n("make_blobs", n)
    rng = _generator(seed)
    if isinstance(centers, (int, np.integer)):
        _check_n("make_blobs: centers", centers)
        centres = rng.uniform(-10.0, 10.0, (centers, features))
    else:
        centres = np.asarray(centers, dtype=float)
        if centres.ndim != 2:
            raise ValueError(f"make_blobs: centers must be a count or a 2-D array, got {centers!r}")
    k = len(centres)
    y = np.arange(n) % k
    X = centres[y] + std * rng.standard_normal((n, centres.shape[1]))
    order = rng.permutation(n)
    return X[order], y[order]


def load_digits():
    """The 8x8 handwritten digits (1,797 images, 64 pixels scaled to [0, 1]), via scikit-learn."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ModuleNotFoundError(
            "load_digits needs scikit-learn: pip install 'chainrule[digits]'"
        ) from None
    digits = sklearn_digits()
    return digits.data / 16.0, digits.target.astype(int)


def train_test_split(X, y, test_size=0.2, seed=None):
    """Shuffle and split into (X_train, X_test, y_train, y_test), as scikit-learn orders them."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} inputs but {len(y)} targets")
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size!r}")
    n_test = math.ceil(len(X) * test_size)
    if not 0 < n_test < len(X):
        raise ValueError(f"train_test_split: cannot split {len(X)} examples by {test_size!r}")
    order = _generator(seed).permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


class DataLoader:
    """Batches of (X, y) for one epoch each time it is iterated, as PyTorch's DataLoader.

    batch_size None is batch gradient descent (all examples each step), 1 is stochastic,
    anything between is mini-batch. With shuffle, each epoch has a new order from `seed`.
    """

    def __init__(self, X, y, batch_size=None, shuffle=False, seed=None, drop_last=False):
        self.X, self.y = np.asarray(X), np.asarray(y)
        if len(self.X) != len(self.y):
            raise ValueError(f"DataLoader: {len(self.X)} inputs but {len(self.y)} targets")
        if len(self.X) == 0:
            raise ValueError("DataLoader: no examples")
        if batch_size is None:
            batch_size = len(self.X)
        elif not _whole(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be None or >= 1, got {batch_size!r}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.rng = _generator(seed)

    def __len__(self):
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.X)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            idx = order[k * self.batch_size : (k + 1) * self.batch_size]
            yield self.X[idx], self.y[idx]
