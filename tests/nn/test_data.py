"""Data sets (seeded, shaped as documented) and batch, mini-batch and stochastic iteration."""

import sys

import numpy as np
import pytest

from nn import data


def test_logic_gates_are_their_truth_tables():
    X, y = data.logic_gate("xor")
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert data.logic_gate("and")[1].tolist() == [0, 0, 0, 1]
    assert data.logic_gate("or")[1].tolist() == [0, 1, 1, 1]
    X, y = data.logic_gate("not")
    assert X.tolist() == [[0], [1]] and y.tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"logic_gate: unknown gate 'nand'; choose one of 'and'"):
        data.logic_gate("nand")


def test_moons_is_micrograds_set_point_for_point():
    X, y = data.make_moons(100, 0.1, seed=1337)
    assert X.shape == (100, 2) and sorted(np.bincount(y)) == [50, 50]
    sklearn = pytest.importorskip("sklearn.datasets")
    Xs, ys = sklearn.make_moons(n_samples=100, noise=0.1, random_state=1337)
    assert np.array_equal(X, Xs) and np.array_equal(y, ys)


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = data.make_moons(40, 0.0, seed=0)
    top, bottom = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)
    assert np.allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1.0)


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda s: data.make_circles(60, seed=s), 2),
        (lambda s: data.make_spiral(90, classes=3, seed=s), 3),
        (lambda s: data.make_blobs(60, centers=4, seed=s), 4),
    ],
)
def test_generated_sets_are_seeded_shaped_and_balanced(make, classes):
    X, y = make(5)
    X2, y2 = make(5)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(make(6)[0], X)
    assert X.shape == (len(y), 2) and y.dtype.kind == "i"
    assert np.bincount(y).tolist() == [len(y) // classes] * classes


def test_circles_radii_and_blobs_centres():
    X, y = data.make_circles(50, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)
    X, y = data.make_blobs(400, centers=[[0.0, 0.0], [10.0, 10.0]], std=0.5, seed=0)
    assert np.allclose(X[y == 1].mean(axis=0), [10, 10], atol=0.1)
    assert X[y == 0].std() == pytest.approx(0.5, rel=0.1)


def test_bad_generator_settings_are_clear_errors():
    with pytest.raises(ValueError, match=r"make_moons: n must be a whole number >= 2, got 1"):
        data.make_moons(1)
    with pytest.raises(ValueError, match=r"make_circles: factor must be in \(0, 1\), got 2"):
        data.make_circles(factor=2)
    with pytest.raises(TypeError, match=r"seed: expected an int, a numpy Generator or None"):
        data.make_spiral(seed="x")


def test_digits_are_scaled_to_zero_one():
    pytest.importorskip("sklearn")
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"^load_digits needs scikit-learn: pip install "):
        data.load_digits()
    try:
        data.load_digits()
    except ImportError as err:
        assert str(err).endswith("pip install 'chainrule[digits]'") and "\n" not in str(err)


def test_train_test_split_is_an_80_20_partition():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, 0.2, seed=0)
    assert len(X_test) == 2 and len(X_train) == 8
    assert sorted(y_train.tolist() + y_test.tolist()) == list(range(10))
    assert np.array_equal(X_train[:, 0] // 2, y_train)  # rows stay with their labels


def test_batch_minibatch_and_stochastic_iteration_cover_every_example_once():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    full = list(data.DataLoader(X, y))
    assert len(full) == 1 and full[0][1].tolist() == list(range(10))
    mini = list(data.DataLoader(X, y, batch_size=4))
    assert [len(b) for _, b in mini] == [4, 4, 2]
    assert len(data.DataLoader(X, y, batch_size=4, drop_last=True)) == 2
    loader = data.DataLoader(X, y, batch_size=1, shuffle=True, seed=3)
    epoch1 = [int(b[0]) for _, b in loader]
    epoch2 = [int(b[0]) for _, b in loader]
    assert sorted(epoch1) == sorted(epoch2) == list(range(10)) and epoch1 != epoch2
    again = data.DataLoader(X, y, batch_size=1, shuffle=True, seed=3)
    assert [int(b[0]) for _, b in again] == epoch1
    for xb, yb in data.DataLoader(X, y, batch_size=3, shuffle=True, seed=0):
        assert np.array_equal(xb[:, 0], yb)


def test_data_loader_rejects_bad_input():
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be None or >= 1, got 0"):
        data.DataLoader([[1.0]], [1], batch_size=0)
    with pytest.raises(ValueError, match=r"DataLoader: 2 inputs but 1 targets"):
        data.DataLoader([[1.0], [2.0]], [1])
