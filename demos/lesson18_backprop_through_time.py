"""Lesson 18: backprop through time: one recurrent weight used at every step, and why the
gradient that reaches the first steps vanishes or explodes.

Run it:  chainrule run bptt
Look at: an RNN with one input and one hidden unit unrolled over 6 time steps. The printed
table goes back from step 6 to step 1: each step multiplies the gradient by
∂h_t/∂h_(t-1) = w_hh·(1 - h_t²). The recurrent weight w_hh is the same Value at every step,
so its gradient is the sum of six contributions, one per step (fan-out across time). With
the ReLU cell each step back multiplies by exactly w_hh: 0.5 halves it at every step (it
vanishes), 2 doubles it (it explodes), and gradient clipping brings the exploding gradient's
norm of about 2,000 back to 1. bptt_gradients.png draws |∂L/∂h_t| per step on a log scale.
graph.svg: the graph folded to one box per time step, w_ih and w_hh feeding every box;
graph_two_steps.svg: two steps with every node, each edge out of w_hh saying what it adds;
backprop.html steps through all six.
"""

import math

from autograd import Value, local_derivatives, topological_order
from nn.optim import clip_grad_norm_
from nn.recurrent import RNNCell, unroll
from viz.format import fmt, pad, width
from viz.i18n import N_, _
from viz.notation import partial

from . import plots
from .common import Lesson

SEQUENCE = (0.5, 1.0, 0.25, 0.75, 0.5, 1.0)  # one input per time step, all > 0 (ReLU stays on)
STEPS = len(SEQUENCE)
W_IH, W_HH, TARGET = 0.5, 0.8, 1.0
SMALL, LARGE = 0.5, 2.0  # recurrent weights that make the ReLU cell's gradient vanish, explode
MAX_NORM, LR = 1.0, 0.01
# the ReLU cell's two runs: (recurrent weight, what the ratio shows)
RELU_RUNS = {
    "small": (SMALL, N_("{ratio}: the vanishing gradient")),
    "large": (LARGE, N_("{ratio}: the exploding gradient")),
}
D_H, D_STEP, D_A = partial("L", "h_t"), partial("h_t", "h_(t-1)"), partial("L", "a_t")
FIRST_BY_LAST = f"{partial('L', 'h1')} / {partial('L', f'h{STEPS}')}"
# The symbols the messages name, passed in as placeholders: maths stays as it is in Chinese.
SYMBOLS = {
    "w_ih": "w_ih",
    "w_hh": "w_hh",
    "h_t": "h_t",
    "h_prev": "h_(t-1)",
    "slope": "1 - h_t²",  # tanh's slope at step t, tanh'(a_t)
    "d_h": D_H,
    "first_by_last": FIRST_BY_LAST,
}


def said(x):
    """A number as the lesson prints it: 4 significant digits."""
    return fmt(x, 4)


def equals(computed, shown):
    """'=' when the printed numbers give the printed result, else '≈' (they were rounded)."""
    return "=" if said(computed) == shown else "≈"


def added(terms, total):
    """'0 - 0.002634 + 0.01 = 0.007366': the terms as printed, then their total."""
    shown = [said(t) for t in terms]
    text = shown[0] + "".join(f" - {s[1:]}" if s[0] == "-" else f" + {s}" for s in shown[1:])
    result = said(total)
    return f"{text} {equals(sum(float(s) for s in shown), result)} {result}"


def unrolled(w_hh, nonlinearity="tanh", steps=STEPS):
    """A 1-input, 1-unit cell (no biases) over SEQUENCE's first `steps` inputs, the loss
    L = (h_last - y)², backpropagated. Returns (cell, the inputs x_t, the states h_t, L)."""
    cell = RNNCell(1, 1, bias=False, nonlinearity=nonlinearity, rng=0)
    cell.weight_ih[0].data, cell.weight_hh[0].data = W_IH, w_hh
    xs = [Value(x, f"x{t}") for t, x in enumerate(SEQUENCE[:steps], 1)]
    outputs, _state = unroll(cell, xs)
    hs = [h for (h,) in outputs]
    for t, h in enumerate(hs, 1):
        h.inputs[0].label = f"a{t}"  # the input of tanh, as the tables name it
    loss = (hs[-1] - Value(TARGET, "y")) ** 2
    loss.label = "L"
    loss.backward()
    return cell, xs, hs, loss


def step_back(h):
    """∂h_t/∂h_(t-1) from the op table: the nonlinearity's slope times w_hh (through the add)."""
    a = h.inputs[0]  # a_t = w_ih·x_t + w_hh·h_(t-1), the input of tanh (or ReLU)
    recurrent = a.inputs[1]  # w_hh * h_(t-1)
    return local_derivatives(h)[0] * local_derivatives(a)[1] * local_derivatives(recurrent)[1]


def build():
    """The tanh RNN over 6 time steps and its loss, backpropagated (36 nodes)."""
    return unrolled(W_HH)[3]


def forward(lesson, xs, hs, loss):
    lesson.say(
        _(
            "A recurrent network with 1 input and 1 hidden unit (tanh, no biases) reads {steps}\n"
            "time steps, with the same two weights at every step:"
        ).format(steps=STEPS)
    )
    lesson.say(
        f"  h_t = tanh(w_ih·x_t + w_hh·h_(t-1)),  h0 = 0,  w_ih = {W_IH:g},  w_hh = {W_HH:g}"
    )
    lesson.say(
        _("The loss scores only the last hidden state: L = (h{steps} - y)², y = {y:g}").format(
            steps=STEPS, y=TARGET
        )
    )
    lesson.say(f"   t  {'x_t':>6}  {'a_t':>8}  {'h_t':>8}")
    for t, (x, h) in enumerate(zip(xs, hs), 1):
        a = h.inputs[0]
        lesson.say(f"  {t:>2}  {said(x.data):>6}  {said(a.data):>8}  {said(h.data):>8}")
    lesson.say(
        _("  ({a}: the input of tanh; {h})").format(
            a="a_t = w_ih·x_t + w_hh·h_(t-1)", h="h_t = tanh(a_t)"
        )
    )
    last, result = said(hs[-1].data), said(loss.data)
    lesson.say(
        f"  L = ({last} - {TARGET:g})² {equals((float(last) - TARGET) ** 2, result)} {result}"
    )
    lesson.record(h=[h.data for h in hs], loss=loss.data)


def through_time(lesson, hs):
    """∂L/∂h_t from step 6 back to step 1, and the factor each step multiplies by."""
    factors = [step_back(h) for h in hs]
    lesson.say("")
    lesson.say(
        _(
            "Backprop through time, from step {steps} back to step 1: the gradient reaching\n"
            "{h_prev} is the one at {h_t} times {factor}:"
        ).format(**SYMBOLS, steps=STEPS, factor=f"{D_STEP} = w_hh·(1 - h_t²)")
    )
    lesson.say(f"   t  {D_H:>10}  {D_STEP:>14}")
    for t in range(STEPS, 0, -1):
        lesson.say(f"  {t:>2}  {said(hs[t - 1].grad):>10}  {said(factors[t - 1]):>14}")
    lesson.say(
        _(
            "  {first_by_last} = {ratio}: tanh's slope {slope} is below 1, so even\n"
            "  {w_hh} = {w:g} shrinks the gradient at every step."
        ).format(**SYMBOLS, ratio=said(hs[0].grad / hs[-1].grad), w=W_HH)
    )
    lesson.record(d_h=[h.grad for h in hs], factors=factors)


def fan_out(lesson, cell, xs, hs):
    """The shared weights' gradients as sums of one contribution per time step."""
    w_ih, w_hh = cell.weight_ih[0], cell.weight_hh[0]
    pre = [h.inputs[0] for h in hs]  # a_t
    before = [0.0] + [h.data for h in hs[:-1]]  # h_(t-1), from h0 = 0
    terms_hh = [a.grad * h for a, h in zip(pre, before)]
    terms_ih = [a.grad * x.data for a, x in zip(pre, xs)]
    lesson.say("")
    lesson.say(
        _(
            "The same weight at every time step (fan-out across time): its gradient is the sum\n"
            "of one contribution per step, t = 1 ... {steps}, each {d_a} times what the weight\n"
            "multiplied at that step:"
        ).format(steps=STEPS, d_a=D_A)
    )
    for weight, name, multiplied, terms in (
        (w_hh, "w_hh", "h_(t-1)", terms_hh),
        (w_ih, "w_ih", "x_t", terms_ih),
    ):
        lesson.say(f"  {partial('L', name)} = Σ {D_A} · {multiplied}")
        lesson.say(f"      = {added(terms, weight.grad)}")
    lesson.say(_("  (step 1 adds 0 to {d_w}: h0 = 0)").format(d_w=partial("L", "w_hh")))
    lesson.record(terms_hh=terms_hh, d_w_hh=w_hh.grad, terms_ih=terms_ih, d_w_ih=w_ih.grad)


def weight_alone(lesson):
    """The ReLU cell: each step back multiplies by exactly w_hh. Returns the runs and series."""
    lesson.say("")
    lesson.say(
        _(
            "To see the recurrent weight alone, take the ReLU cell ({code}): its slope\n"
            "is 1 while the unit is on (every step here: all inputs are > 0), so each step\n"
            "back multiplies {d_h} by exactly {w_hh}:"
        ).format(**SYMBOLS, code='nonlinearity="relu"')
    )
    runs, series = {}, {}
    for key, (w, name) in RELU_RUNS.items():
        runs[key] = unrolled(w, "relu")
        grads = [h.grad for h in runs[key][2]]
        backwards = "  ".join(said(g) for g in reversed(grads))
        lesson.say(f"  w_hh = {w:g}:  {D_H}, t = {STEPS} ... 1:  {backwards}")
        shown = said(grads[0] / grads[-1])
        ratio = f"{w:g}^{STEPS - 1} {equals(w ** (STEPS - 1), shown)} {shown}"
        lesson.say(f"      {FIRST_BY_LAST} = " + _(name).format(ratio=ratio))
        series[f"ReLU, w_hh = {w:g}"] = [abs(g) for g in grads]
        lesson.record(**{f"relu_{key}": grads})
    tanh_large = [h.grad for h in unrolled(LARGE)[2]]
    lesson.say(
        _(
            "With tanh a large weight drives {h_t} towards 1, where tanh's slope {slope} is\n"
            "near 0: the gradient vanishes anyway ({first_by_last} = {ratio} for {w_hh} = {w:g})."
        ).format(**SYMBOLS, w=LARGE, ratio=said(tanh_large[0] / tanh_large[-1]))
    )
    series[f"tanh, w_hh = {LARGE:g}"] = [abs(g) for g in tanh_large]
    lesson.record(tanh_large=tanh_large)
    return runs, series


def clipping(lesson, cell):
    """clip_grad_norm_ on the exploding cell's gradients: before and after."""
    params = cell.parameters()  # w_ih, w_hh
    before = [p.grad for p in params]
    norm = clip_grad_norm_(params, MAX_NORM)
    after = [p.grad for p in params]
    norm_after = math.sqrt(sum(g * g for g in after))
    lesson.say("")
    lesson.say(
        _("Gradient clipping, {call}, on the exploding cell:").format(
            call=f"clip_grad_norm_(parameters, {MAX_NORM:g})"
        )
    )
    rows = {_("before:"): (before, norm), _("after:"): (after, norm_after)}
    column = max(width(head) for head in rows) + 1
    for head, (grads, n) in rows.items():
        shown = _("{d_ih} = {g_ih},  {d_hh} = {g_hh},  norm {norm}").format(
            d_ih=partial("L", "w_ih"),
            g_ih=said(grads[0]),
            d_hh=partial("L", "w_hh"),
            g_hh=said(grads[1]),
            norm=said(n),
        )
        lesson.say(f"  {pad(head, column)}{shown}")
    lesson.say(
        _(
            "  Every gradient is scaled by the same {scale}, so the direction is kept.\n"
            "  One SGD step with learning rate {lr:g} moves {w_hh} by {unclipped}; "
            "clipped, by {clipped}."
        ).format(
            **SYMBOLS,
            scale=said(after[1] / before[1]),
            lr=LR,
            unclipped=said(-LR * before[1]),
            clipped=said(-LR * after[1]),
        )
    )
    lesson.record(grads_before=before, norm_before=norm, grads_after=after, norm_after=norm_after)


def run(lesson):
    cell, xs, hs, loss = unrolled(W_HH)
    forward(lesson, xs, hs, loss)
    through_time(lesson, hs)
    fan_out(lesson, cell, xs, hs)
    runs, relu_series = weight_alone(lesson)
    clipping(lesson, runs["large"][0])

    series = {f"tanh, w_hh = {W_HH:g}": [abs(h.grad) for h in hs], **relu_series}
    plots.curves(
        lesson,
        "bptt_gradients.png",
        series,
        _("The gradient reaching each time step, |{d_h}|").format(**SYMBOLS),
        xlabel=_("time step t (the loss is at step {steps})").format(steps=STEPS),
        ylabel=_("|{d_h}| (log scale)").format(**SYMBOLS),
        log=True,
        what=_(
            "ReLU with {w_hh} = {large:g} climbs towards step 1; {w_hh} = {small:g} and tanh fall"
        ).format(**SYMBOLS, large=LARGE, small=SMALL),
    )
    lesson.pictures(
        loss,
        params=cell.parameters(),
        color="grad",
        collapse=True,
        what=_("the RNN folded to one box per time step; {w_ih} and {w_hh} feed every box").format(
            **SYMBOLS
        ),
    )
    two = unrolled(W_HH, steps=2)[3]
    lesson.pictures(
        two,
        filename="graph_two_steps.svg",
        player=False,
        params=[n for n in topological_order(two) if n.label in ("w_ih", "w_hh")],
        color="grad",
        what=_("the same cell over 2 time steps, every node: what each box holds"),
    )
    lesson.look_for(
        _(
            "graph.svg: {w_hh} sends an edge into every time step; the boxes pale from t{steps} "
            "to t1"
        ).format(**SYMBOLS, steps=STEPS)
    )
    lesson.look_for(
        _(
            "graph_two_steps.svg: each edge out of {w_hh} says what it adds (+=); its grad is "
            "their sum"
        ).format(**SYMBOLS)
    )
    lesson.look_for(
        _(
            "bptt_gradients.png: ReLU's lines are straight on the log scale, a factor {w_hh} "
            "per step"
        ).format(**SYMBOLS)
    )
    lesson.look_for(
        _("backprop.html: step back through time; each tanh multiplies by {slope}").format(
            **SYMBOLS
        )
    )


LESSON = Lesson(
    "bptt",
    N_("backprop through time: one weight, a gradient term per step; vanishing and exploding"),
    run,
    build,
    title=N_("18. Backprop through time"),
)
