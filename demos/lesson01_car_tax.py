"""Lesson 1: the chain rule as a product of local derivatives (the car-tax example).

Run it:  chainrule run car-tax
Look at: each backward step multiplies the gradient arriving at a node by the local
derivative on the edge: ∂total/∂price = 1 · 1.1 · 2 = 2.2.
"""

from autograd import Value
from viz.i18n import N_, _, pgettext
from viz.notation import partial

from .common import Lesson, print_backward, print_forward


def build():
    """15 (ten-thousand yuan) a car, 2 cars, then 10% purchase tax.

    The labels are the story's words, so in Chinese they are Chinese (单价, 总价): every
    printed equation and picture names the nodes by these labels.
    """
    # The context keeps a bare word such as "total" from taking another catalog's meaning.
    price = Value(15.0, pgettext("node label", "price"))
    count = Value(2.0, pgettext("node label", "count"))
    tax = Value(1.1, pgettext("node label", "tax"))
    subtotal = price * count
    subtotal.label = pgettext("node label", "subtotal")
    total = subtotal * tax
    total.label = pgettext("node label", "total")
    return total


def run(lesson):
    """Forward, backward, and the product of local derivatives spelled out."""
    total = build()
    subtotal, tax = total.inputs
    price, count = subtotal.inputs
    print_forward(lesson, total)
    print_backward(lesson, total)
    num = lesson.num
    lesson.say("")
    lesson.say(_("Right to left, as the article does it: 33/33 = 1, 33/30 = 1.1, 30/15 = 2, so"))
    lesson.say(f"  {partial(total.label, price.label)} = 1 · 1.1 · 2 = {num(price.grad)}")
    lesson.say(
        f"  {partial(total.label, count.label)} = {num(count.grad)},"
        f"  {partial(total.label, tax.label)} = {num(tax.grad)}"
    )
    lesson.record(total=total.data, d_price=price.grad, d_count=count.grad, d_tax=tax.grad)
    lesson.pictures(total)
    lesson.look_for(_("in graph.svg the edges from price up to total read 2, 1.1: product 2.2"))
    lesson.look_for(
        _("count's gradient 16.5 = 1.1 · 15: the local ∂(price * count)/∂count is price")
    )


LESSON = Lesson(
    "car-tax",
    N_("the chain rule as a product of local derivatives: 1 · 1.1 · 2 = 2.2"),
    run,
    build,
    title=N_("1. Car tax"),
)
