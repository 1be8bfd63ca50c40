"""Lesson 17: convolution: one kernel, used at every position, so its gradient is a sum.

Run it:  chainrule run convolution
Look at: a kernel of width 3 (w0, w1, w2 and a bias b) slides over a signal of 8 numbers and
gives 6 outputs y0..y5. The loss is L = ½ Σ y_t², so ∂L/∂y_t = y_t. Each weight was used at
all 6 positions, and its gradient is the sum of what came back from each use, upstream times
the input it multiplied there: ∂L/∂w0 = y0·x0 + y1·x1 + ... + y5·x5. That is the fan-out
rule again. Then pooling: max pooling hands each window's gradient to the window's largest
value only (the others get 0); average pooling splits it equally. graph.svg folds each
output position into one box, so the four shared weights stand outside with a line to every
box; pooling_max.svg shows the max op's local derivatives, 1 for the winner, 0 for the rest
(the losers' boxes dashed: gradient exactly 0), pooling_avg.svg the 1/2 of the average, and
pooling_gradients.png what each output gets back from either pool.
"""

import numpy as np

from autograd import Value, scope, topological_order
from nn.conv import AvgPool1d, Conv1d, MaxPool1d
from viz.i18n import N_, _
from viz.narrate import paren
from viz.notation import partial

from . import plots
from .common import Lesson

SIGNAL = (1.0, 2.0, 0.0, -1.0, 3.0, 1.0, -2.0, 2.0)
KERNEL, BIAS = (1.0, -1.0, 0.5), 0.0
WIDTH = len(KERNEL)
POOL = 2  # window and stride of both pools: 3 windows over the 6 outputs, no overlap


def num(x):
    """A number as short as it is exact here (every number in this lesson is a multiple of
    1/8, so `g` loses nothing): 1.5, -1, 0.125; -0.0 (from -1·0) shows as 0."""
    return f"{x + 0.0:g}"


def times(a, b):
    """a·b with negative factors in brackets: (-1)·2."""
    return f"{paren(num(a))}·{paren(num(b))}"


def plus(terms):
    """A sum as it is written by hand: -1 + 3 - 2.5 (a negative term after the first is
    subtracted)."""
    first, *rest = terms
    return num(first) + "".join(f" - {num(-t)}" if t < 0 else f" + {num(t)}" for t in rest)


def half_sum_of_squares(values, name):
    """½ Σ v² as one node labelled `name` (so ∂name/∂v = v), made in a scope of that name
    so that a picture can fold the loss into one box."""
    with scope(name):
        squares = [v**2 for v in values]
        for v, square in zip(values, squares):
            square.label = f"{v.label}²"  # y0², so the player says y0² = y0**2 = 1
        total = squares[0]
        for square in squares[1:]:
            total = total + square
        loss = total * Value(0.5, "½")
    loss.label = name
    return loss


def convolve():
    """The signal, the conv (weights set to KERNEL and BIAS), its outputs and L, backpropagated."""
    conv = Conv1d(1, 1, WIDTH, rng=0)
    for w, v in zip(conv.weight + conv.bias, KERNEL + (BIAS,)):
        w.data = v
    xs = [Value(v, f"x{t}") for t, v in enumerate(SIGNAL)]
    ys = conv(xs)  # flat in, flat out: one Value per output position
    for t, y in enumerate(ys):
        y.label = f"y{t}"
    loss = half_sum_of_squares(ys, "L")
    loss.backward()
    return conv, xs, ys, loss


def build():
    """The convolution's graph: 8 inputs, 4 shared parameters, 6 positions, the loss."""
    return convolve()[3]


def uses(loss, leaf):
    """Each use of `leaf` in the convolution: (position, upstream, factor, upstream · factor).

    The upstream is the gradient the engine left on the node that used it (w·x, or b + w·x
    for the bias: both pass ∂L/∂y_t through unchanged); the factor is that node's local
    derivative by the leaf: the other input of the product (for the bias: 1).
    """
    found = []
    for node in topological_order(loss):
        if any(i is leaf for i in node.inputs) and node.scope.startswith("pos"):
            position = int(node.scope.removeprefix("pos"))
            a, b = node.inputs
            factor = (b if a is leaf else a).data if node.op.name == "mul" else 1.0
            found.append((position, node.grad, factor, node.grad * factor))
    return sorted(found)


def pooled(pool, ys, name):
    """Pool copies of the outputs (new leaves, named y0..y5); ½ Σ of the pooled squares."""
    leaves = [Value(y.data, y.label) for y in ys]
    out = pool(leaves)
    for j, v in enumerate(out):
        v.label = f"{name.lower()}{j}"
    loss = half_sum_of_squares(out, name)
    loss.backward()
    return leaves, out, loss


def routed_plot(lesson, labels, series, title, what):
    """Grouped bars of each position's gradient (negative ones too), windows shaded."""
    plt = plots._pyplot(lesson, what)
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.8))
    x, width = np.arange(len(labels)), 0.8 / len(series)
    for j in range(0, len(labels), 2 * POOL):  # every other window lightly shaded
        ax.axvspan(j - 0.5, j + POOL - 0.5, color="#f2f2f2", zorder=0)
    for i, ((name, grads), colour) in enumerate(zip(series.items(), plots.COLOURS)):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, grads, width, label=name, color=colour)
    ax.axhline(0.0, color="#444444", linewidth=0.8)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set(title=title, ylabel=_("gradient"))
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", fontsize=9)
    return plots._save(lesson, plt, fig, "pooling_gradients.png", what)


def run(lesson):
    conv, xs, ys, loss = convolve()
    show_convolution(lesson, conv, xs, ys, loss)
    show_lengths(lesson)
    max_leaves, max_loss = show_max_pooling(lesson, ys)
    avg_leaves, avg_loss = show_average_pooling(lesson, ys)
    routed_plot(
        lesson,
        [v.label for v in max_leaves],
        {
            _("max pooling"): [v.grad for v in max_leaves],
            _("average pooling"): [v.grad for v in avg_leaves],
        },
        _("The gradient each output receives back from pooling, window by window"),
        what=_("max pooling: one bar per window, zeros beside it; average: pairs of equal bars"),
    )
    lesson.pictures(
        loss,
        params=conv.parameters(),
        collapse=True,
        rankdir="TB",
        precision=5,
        what=_("the convolution, one box per output position; the shared weights fan out"),
    )
    # Max pooling coloured by gradient: a loser's box is dashed (grad exactly 0). Average
    # pooling by role: coloured by gradient, the divisor 2 (a constant) would stand out most.
    said = {
        "max": _("max pooling: local 1 to each window's max, 0 to the other"),
        "avg": _("average pooling: local 1 into the sum, then 1/2 to each"),
    }
    for root, kind, color in ((max_loss, "max", "grad"), (avg_loss, "avg", "role")):
        lesson.pictures(
            root, f"pooling_{kind}.svg", said[kind], player=False, color=color, precision=6
        )
    lesson.look_for(_("graph.svg: w0, w1, w2 and b each send a line to all six boxes pos0..pos5"))
    lesson.look_for(
        _("{d_w} is the sum of six terms {term}, one per use: the fan-out rule").format(
            d_w=partial("L", "w0"), term="y_t·x_t"
        )
    )
    lesson.look_for(_("x0 is read by one window, x2..x5 by three: an input's gradient adds up too"))
    lesson.look_for(
        _("pooling_max.svg: the losing inputs have local 0, so their boxes are dashed: grad 0")
    )
    lesson.look_for(
        _("backprop.html: step backwards and watch each weight's gradient grow one use at a time")
    )


def show_convolution(lesson, conv, xs, ys, loss):
    """The outputs, then each shared parameter's gradient as its sum over positions."""
    lesson.say(
        _(
            "A kernel of width {k} slides over a signal of {n} numbers (stride 1, no padding):"
        ).format(k=WIDTH, n=len(SIGNAL))
    )
    lesson.say(f"  x = [{', '.join(num(v) for v in SIGNAL)}]")
    lesson.say(
        _("  kernel w = [{w}], bias b = {b}").format(w=", ".join(map(num, KERNEL)), b=num(BIAS))
    )
    lesson.say(
        _("  {count} outputs = ({n} + 2·{p} - {k}) // {s} + 1").format(
            count=len(ys), n=len(SIGNAL), p=0, k=WIDTH, s=1
        )
    )
    lesson.say(
        _("Every output uses the same three weights: {formula}").format(
            formula="y_t = w0·x_t + w1·x_(t+1) + w2·x_(t+2) + b"
        )
    )
    for t, y in enumerate(ys):
        products = " + ".join(times(w.data, xs[t + k].data) for k, w in enumerate(conv.weight))
        lesson.say(f"  y{t} = {products} + {num(conv.bias[0].data)} = {num(y.data)}")
    lesson.say(
        _(
            "Loss {loss} = {value}, so {d_y} = {y}: each output's upstream gradient is itself."
        ).format(loss="L = ½ Σ y_t²", value=num(loss.data), d_y=partial("L", "y_t"), y="y_t")
    )

    lesson.say("")
    lesson.say(
        _(
            "Each weight was used at all {n} positions (fan-out). Its gradient adds what came\n"
            "back from every use: the upstream gradient there times the input it multiplied."
        ).format(n=len(ys))
    )
    terms = {}
    for k, w in enumerate(conv.weight):
        found = terms[w.label] = uses(loss, w)
        head = f"  {partial('L', w.label)} = "
        lesson.say(head + " + ".join(f"y{t}·x{t + k}" for t, *_rest in found))
        lesson.say(" " * (len(head) - 2) + "= " + " + ".join(times(u, f) for _t, u, f, _c in found))
        lesson.say(" " * (len(head) - 2) + f"= {plus(c for *_rest, c in found)} = {num(w.grad)}")
    (b,) = conv.bias
    found = terms[b.label] = uses(loss, b)
    lesson.say(
        f"  {partial('L', 'b')} = {' + '.join(f'y{t}' for t, *_rest in found)}"
        f" = {plus(up for _t, up, _f, _c in found)} = {num(b.grad)}"
    )
    lesson.say(
        _("The sums are the engine's own {names}:\nbackward() added one term per use.").format(
            names=", ".join(f"{p.label}.grad" for p in conv.parameters())
        )
    )
    i = 3  # x3 is read by three windows: an input fans out too
    x = xs[i]
    found = terms[x.label] = uses(loss, x)
    lesson.say(
        _("An input read by several windows adds up the same way, e.g. {x}:").format(x=x.label)
    )
    head = f"  {partial('L', x.label)} = "
    lesson.say(head + " + ".join(f"y{t}·w{i - t}" for t, *_rest in found))
    lesson.say(" " * (len(head) - 2) + "= " + " + ".join(times(u, f) for _t, u, f, _c in found))
    lesson.say(" " * (len(head) - 2) + f"= {plus(c for *_rest, c in found)} = {num(x.grad)}")
    lesson.record(
        y=[y.data for y in ys],
        loss=loss.data,
        grads={p.label: p.grad for p in conv.parameters()},
        terms=terms,
        input_grads=[x.grad for x in xs],
    )


def show_lengths(lesson):
    """How many outputs padding and stride give, from the module itself."""
    lesson.say("")
    lesson.say(_("Padding and stride change how many positions the kernel visits:"))
    lengths = {}
    for padding, stride in ((1, 1), (0, 2), (1, 2)):
        out = Conv1d(1, 1, WIDTH, stride=stride, padding=padding, rng=0)(list(SIGNAL))
        lengths[f"padding={padding}, stride={stride}"] = len(out)
        lesson.say(
            _("  padding {p}, stride {s}: ({n} + 2·{p} - {k}) // {s} + 1 = {count} outputs").format(
                p=padding, s=stride, n=len(SIGNAL), k=WIDTH, count=len(out)
            )
        )
    lesson.record(lengths=lengths)


def show_max_pooling(lesson, ys):
    """Max pooling over the outputs: each window's gradient goes to its max alone."""
    max_leaves, ms, max_loss = pooled(MaxPool1d(POOL), ys, "M")
    lesson.say("")
    lesson.say(
        _(
            "Max pooling, window {k}, stride {k}, over y, and a new loss {loss},\n"
            "so {d_m} = {m}. Each window's gradient goes only to its largest value:"
        ).format(k=POOL, loss="M = ½ Σ m_j²", d_m=partial("M", "m_j"), m="m_j")
    )
    for j, m in enumerate(ms):
        window = max_leaves[j * POOL : (j + 1) * POOL]
        winner = max(window, key=lambda v: v.data)
        losers = [v for v in window if v is not winner]
        lesson.say(
            _(
                "  m{j} = max({names}) = max({values}) = {m}:  "
                "{d_win} = {d_m} = {grad},  {d_lose} = 0"
            ).format(
                j=j,
                names=", ".join(v.label for v in window),
                values=", ".join(num(v.data) for v in window),
                m=num(m.data),
                d_win=partial("M", winner.label),
                d_m=partial("M", m.label),
                grad=num(winner.grad),
                d_lose=" = ".join(partial("M", v.label) for v in losers),
            )
        )
    receive = [v.label for v in max_leaves if v.grad != 0.0]
    lesson.say(
        _("  {receive} receive a gradient; the other positions get 0: {grads}").format(
            receive=", ".join(receive), grads=f"[{', '.join(num(v.grad) for v in max_leaves)}]"
        )
    )
    lesson.record(
        max_out=[m.data for m in ms],
        max_grads=[v.grad for v in max_leaves],
        max_loss=max_loss.data,
    )
    return max_leaves, max_loss


def show_average_pooling(lesson, ys):
    """Average pooling over the outputs: each window's gradient split equally."""
    avg_leaves, avgs, avg_loss = pooled(AvgPool1d(POOL), ys, "A")
    lesson.say("")
    lesson.say(
        _(
            "Average pooling, window {k}, stride {k}; {loss}, so {d_a} = {a}.\n"
            "Each window's gradient is shared equally: every input gets 1/{k} of it:"
        ).format(k=POOL, loss="A = ½ Σ a_j²", d_a=partial("A", "a_j"), a="a_j")
    )
    for j, a in enumerate(avgs):
        window = avg_leaves[j * POOL : (j + 1) * POOL]
        lesson.say(
            "  "
            + _(
                "a{j} = ({names}) / {k} = ({values}) / {k} = {a}:  {d_ins} = {d_a} / {k} = {grad}"
            ).format(
                j=j,
                names=" + ".join(v.label for v in window),
                values=plus(v.data for v in window),
                k=POOL,
                a=num(a.data),
                d_ins=" = ".join(partial("A", v.label) for v in window),
                d_a=partial("A", a.label),
                grad=num(window[0].grad),
            )
        )
    lesson.say(
        _("  every position gets a share: {grads}").format(
            grads=f"[{', '.join(num(v.grad) for v in avg_leaves)}]"
        )
    )
    lesson.record(
        avg_out=[a.data for a in avgs],
        avg_grads=[v.grad for v in avg_leaves],
        avg_loss=avg_loss.data,
    )
    return avg_leaves, avg_loss


LESSON = Lesson(
    "convolution",
    N_(
        "a kernel shared by every position: its gradient is a sum over positions; pooling routes it"
    ),
    run,
    build,
    title=N_("17. Convolution"),
)
