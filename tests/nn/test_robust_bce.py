"""Issue 12, item 6: binary_cross_entropy's clip at 1e-7 gives a confidently wrong prediction
a wrong loss and a zero gradient (documented, and shown in lesson 8); the logits form and
softplus (an activation by name, a module, and in nn.functional) get it right."""

import math

import pytest

import nn
import nn.functional as F
from autograd import Value, gradcheck
from demos import cli
from nn.losses import binary_cross_entropy, binary_cross_entropy_with_logits


def loss_and_grad(loss_fn, of, z, y):
    v = Value(z)
    loss = loss_fn(of(v), y)
    loss.backward()
    return loss.data, v.grad


def test_a_confidently_wrong_sigmoid_is_clipped_to_loss_16_1_and_gradient_exactly_0():
    loss, grad = loss_and_grad(binary_cross_entropy, Value.sigmoid, 17.0, 0.0)
    assert loss == -math.log(1.0 - (1.0 - 1e-7))  # 16.118, not 17: p clipped to 1 - 1e-7
    assert grad == 0.0


def test_the_logits_form_gives_the_true_loss_and_gradient_sigmoid_minus_y():
    # torch's BCEWithLogits: softplus(17) - 0 * 17 = 17 + log1p(e^-17), gradient sigmoid(17)
    loss, grad = loss_and_grad(binary_cross_entropy_with_logits, lambda v: v, 17.0, 0.0)
    assert loss == pytest.approx(17.0 + math.log1p(math.exp(-17.0)), rel=1e-15)
    assert grad == pytest.approx(1.0 / (1.0 + math.exp(-17.0)), rel=1e-15)


def test_the_docstring_warns_and_points_to_the_logits_form():
    doc = binary_cross_entropy.__doc__
    assert "gradient is exactly 0" in doc and "binary_cross_entropy_with_logits" in doc


def test_lesson_8_shows_the_price_of_clipping_with_the_engines_numbers(tmp_path):
    lines = []
    lesson = cli.LESSONS["cross-entropy"]
    results = lesson(out=str(tmp_path), plots=False, small=True, echo=lines.append)
    lesson.finish()
    text = "\n".join(lines)
    assert results["bce_clipped"] == (-math.log(1.0 - (1.0 - 1e-7)), 0.0)
    assert results["bce_logits"] == pytest.approx((17.0, 1.0), rel=1e-7)
    assert "BCE(sigmoid(z)) = 16.118, ∂loss/∂z = 0.000" in text
    assert "BCE from the logit = 17.000, ∂loss/∂z = 1.000" in text
    assert "binary_cross_entropy_with_logits" in text


@pytest.mark.parametrize("x", [-40.0, -2.3, 0.0, 1.9, 40.0, 800.0])
def test_softplus_is_ln_1_plus_e_x_with_sigmoid_as_gradient_even_where_e_x_overflows(x):
    for f in (F.softplus, nn.activations.softplus, nn.Softplus()):
        v = Value(x)
        y = f(v)
        y.backward()
        exact = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
        assert y.data == pytest.approx(exact, rel=1e-15)
        assert v.grad == pytest.approx(1.0 / (1.0 + math.exp(-x)), rel=1e-15)
    assert gradcheck(F.softplus, [min(x, 5.0)]).ok


def test_an_mlp_takes_softplus_by_name_and_every_neuron_uses_it():
    model = nn.MLP(2, [3, 1], activation="softplus", rng=0)
    out = model([0.5, -0.25])
    assert all(n.act is F.softplus for n in model.layers[0].neurons)
    assert sum(1 for _ in _ops(out, "softplus")) == 3
    out.backward()
    assert all(math.isfinite(p.grad) and p.grad != 0 for p in model.layers[0].parameters())


def _ops(root, op):
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.op is not None and v.op.name == op:
            yield v
        stack.extend(v.inputs)
