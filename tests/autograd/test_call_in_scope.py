"""call_in_scope: what `with scope(name):` does, cheaper when already inside a block."""

import pytest

from autograd import Value, no_grad, scope
from autograd.value import call_in_scope


def made(x):
    return x * 2.0


def test_outside_any_block_it_tags_like_a_scope_block_and_leaves_no_scope_behind():
    x = Value(1.0)
    assert call_in_scope("layer1", made, x).scope == "layer1"
    assert made(x).scope == ""


def test_inside_a_block_it_nests_with_a_dot_and_restores_the_outer_scope():
    x = Value(1.0)
    with scope("mlp"):
        inner = call_in_scope("layer1", lambda v: call_in_scope("neuron2", made, v), x)
        after = made(x)
    assert inner.scope == "mlp.layer1.neuron2" and after.scope == "mlp"


def test_an_error_inside_restores_the_scope():
    def failing(v):
        raise RuntimeError("forward failed")

    x = Value(1.0)
    with scope("mlp"):
        with pytest.raises(RuntimeError, match="forward failed"):
            call_in_scope("layer1", failing, x)
        assert made(x).scope == "mlp"


def test_inside_no_grad_nodes_carry_the_scope_and_record_no_inputs():
    x = Value(1.0)
    with no_grad():
        y = call_in_scope("layer1", made, x)
        with scope("other"):  # a block entered inside restores call_in_scope's scope
            pass
        z = call_in_scope("layer2", lambda v: (made(v), made(v))[1], x)
    assert y.scope == "layer1" and y.inputs == () and z.scope == "layer2"
    assert made(x).inputs[0] is x  # recording again after the block
