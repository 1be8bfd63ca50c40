"""Issue 12, item 16 (nn): fit blames the data when the data has NaN (naming where), and a
misshaped validation_data, a scheduler that is not one, or a bad optimiser fails before the
first epoch trains."""

import math

import numpy as np
import pytest

import nn


def setup(seed=0):
    X, y = nn.make_moons(24, seed=seed)
    model = nn.MLP(2, [4, 1], rng=0)
    return X, y, model, nn.SGD(model.parameters(), lr=0.1)


def assert_untrained(model, before):
    assert model.state_dict() == before  # no step was taken


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda X, y: X.__setitem__((5, 1), np.nan), r"the data has nan in X at row 5, column 1"),
        (lambda X, y: X.__setitem__((0, 0), np.inf), r"the data has inf in X at row 0, column 0"),
        (lambda X, y: y.__setitem__(7, np.nan), r"the data has nan in y at row 7 \(1 value"),
    ],
)
def test_nan_in_the_data_is_named_as_the_data_not_the_learning_rate(spoil, message):
    X, y, model, opt = setup()
    y = y.astype(float)
    spoil(X, y)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message) as caught:
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=2)
    assert "not the learning rate" in str(caught.value)
    assert not isinstance(caught.value, nn.DivergedError)
    assert_untrained(model, before)


def test_many_nans_are_counted_and_evaluate_checks_too():
    X, y, model, _ = setup()
    X[[3, 9, 11], 0] = np.nan
    with pytest.raises(ValueError, match=r"evaluate: the data has nan in X at row 3, column 0 "):
        nn.evaluate(model, X, y, loss="bce_with_logits")
    with pytest.raises(ValueError, match=r"\(3 values not finite\)"):
        nn.evaluate(model, X, y, loss="bce_with_logits")


def test_nan_in_validation_data_is_named_before_training():
    X, y, model, opt = setup()
    Xv, yv = X.copy(), y.copy()
    Xv[2, 1] = np.nan
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"the data has nan in validation X at row 2, column 1"):
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, validation_data=(Xv, yv))
    assert_untrained(model, before)


@pytest.mark.parametrize(
    "validation, error, message",
    [
        (lambda X, y: (X[:, :1], y), ValueError, r"validation_data has X of shape \(24, 1\)"),
        (lambda X, y: (X, y[:5]), ValueError, r"and y of shape \(5,\); training has \(24, 2\)"),
        (lambda X, y: (X, y[:, None]), ValueError, r"y of shape \(24, 1\)"),
        (lambda X, y: X, TypeError, r"validation_data must be a pair \(X, y\)"),
        (lambda X, y: (X, y, y), TypeError, r"validation_data must be a pair \(X, y\)"),
    ],
)
def test_a_misshaped_validation_data_fails_before_the_first_epoch(validation, error, message):
    X, y, model, opt = setup()
    before = model.state_dict()
    with pytest.raises(error, match=message):
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, validation_data=validation(X, y))
    assert_untrained(model, before)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"scheduler": 5}, TypeError, r"fit: scheduler must be None or a schedule with step\(\)"),
        ({"clip_grad_norm": "1"}, TypeError, r"fit: clip_grad_norm must be a real number"),
        ({"clip_grad_norm": -1.0}, ValueError, r"fit: clip_grad_norm must be in \[0, inf\]"),
        ({"optimizer": "adam"}, TypeError, r"fit: optimizer must be an optimiser"),
    ],
)
def test_bad_parts_of_a_fit_fail_before_the_first_epoch(options, error, message):
    X, y, model, opt = setup()
    before = model.state_dict()
    with pytest.raises(error, match=message):
        nn.fit(model, X, y, **{"loss": "bce_with_logits", "optimizer": opt, **options})
    assert_untrained(model, before)


def test_a_model_with_a_nan_weight_is_named_before_training():
    X, y, model, opt = setup()
    model.parameters()[4].data = math.nan
    name = list(model.state_dict())[4]
    with pytest.raises(ValueError, match=rf"not finite: {name.replace('.', '[.]')} = nan"):
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt)


def test_a_numpy_float32_learning_rate_trains_like_the_float_one():
    X, y, model, opt = setup()
    X2, y2, model2, _ = setup()
    a = nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=3)
    opt2 = nn.SGD(model2.parameters(), lr=np.float32(0.1))
    b = nn.fit(model2, X2, y2, loss="bce_with_logits", optimizer=opt2, epochs=3)
    assert opt2.lr == float(np.float32(0.1))
    assert b.loss == pytest.approx(a.loss, rel=1e-6)
