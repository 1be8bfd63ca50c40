"""Lesson 1: the chain rule as a product of local derivatives (the car-tax example).

Run it:  chainrule run car-tax
Look at: each backward step multiplies the gradient arriving at a node by the local
derivative on the edge: ∂total/∂price = 1 · 1.1 · 2 = 2.2.
"""

from autograd import Value

from .common import Lesson, print_backward, print_forward


def build():
    """15 (ten-thousand yuan) a car, 2 cars, then 10% purchase tax."""
    price, count, tax = Value(15.0, "price"), Value(2.0, "count"), Value(1.1, "tax")
    subtotal = price * count
    subtotal.label = "subtotal"
    total = subtotal * tax
    total.label = "total"
    return total


def run(lesson):
    """Forward, backward, and the product of local derivatives spelled out."""
    total = build()
    print_forward(lesson, total)
    steps = print_backward(lesson, total)
    price = next(s.node for s in steps if s.node.label == "price")
    count = next(s.node for s in steps if s.node.label == "count")
    tax = next(s.node for s in steps if s.node.label == "tax")
    lesson.say("")
    lesson.say("Right to left, as the article does it: 33/33 = 1, 33/30 = 1.1, 30/15 = 2, so")
    lesson.say(f"  ∂total/∂price = 1 · 1.1 · 2 = {lesson.num(price.grad)}")
    lesson.say(f"  ∂total/∂count = {lesson.num(count.grad)},  ∂total/∂tax = {lesson.num(tax.grad)}")
    lesson.record(total=total.data, d_price=price.grad, d_count=count.grad, d_tax=tax.grad)
    lesson.pictures(total)
    lesson.look_for("in graph.svg the edges from price up to total read 2, 1.1: product 2.2")
    lesson.look_for("count's gradient 16.5 = 1.1 · 15: the local ∂(price * count)/∂count is price")


LESSON = Lesson(
    "car-tax",
    "the chain rule as a product of local derivatives: 1 · 1.1 · 2 = 2.2",
    run,
    build,
    title="1. Car tax",
)
