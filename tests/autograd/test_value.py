"""The Value node itself: fields, repr, scopes, memory shape."""

from autograd import Value, scope


def test_fields_are_public_and_a_leaf_has_no_inputs():
    x = Value(3, label="x")
    assert (x.data, x.grad, x.inputs, x.op, x.label, x.scope) == (3.0, 0.0, (), None, "x", "")
    assert type(x.data) is float


def test_an_op_output_records_its_op_and_ordered_inputs():
    a, b = Value(1.0), Value(2.0)
    c = b - a
    assert c.inputs == (b, a)
    assert c.op.name == "sub" and c.op.symbol == "-"
    assert (a**2).op.label == "**2"
    assert a.leaky_relu(0.1).op.label == "LReLU(0.1)"


def test_repr_reads_like_micrograd():
    assert repr(Value(-12.0)) == "Value(data=-12.0, grad=0.0)"
    assert repr(Value(0.5, "w")) == "Value(data=0.5, grad=0.0, label='w')"


def test_values_have_no_instance_dict():
    assert not hasattr(Value(1.0), "__dict__")


def test_equality_and_hashing_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and len({a, b}) == 2


def test_scope_tags_nodes_made_inside_and_nests_with_dots():
    x = Value(1.0)
    with scope("layer1"):
        with scope("neuron3"):
            y = x * 2.0
        z = y + 1.0
    w = z * 1.0
    assert (x.scope, y.scope, z.scope, w.scope) == ("", "layer1.neuron3", "layer1", "")


def test_plus_minus_times_are_methods_that_lift_numbers_and_name_the_op_on_bad_input():
    """+ - * share one function's code (_operator): each still reads as Value's own method."""
    import pytest

    x = Value(2.0)
    for name, value in (("add", 5.0), ("sub", -1.0), ("mul", 6.0)):
        method = getattr(Value, f"__{name}__")
        assert method.__name__ == f"__{name}__" and method.__qualname__ == f"Value.__{name}__"
        out = method(x, 3)
        assert (out.data, out.op.name, out.inputs[0]) == (value, name, x)
        assert out.inputs[1].data == 3.0 and not out.inputs[1].inputs
        with pytest.raises(TypeError, match=f"^{name}: expected a real number or Value, got str"):
            method(x, "3")
    assert (x + x).inputs == (x, x)
