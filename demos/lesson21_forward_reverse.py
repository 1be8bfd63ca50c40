"""Lesson 21: forward vs reverse mode: one pass per input, or one pass for every input.

Run it:  chainrule run forward-reverse
Step it: chainrule step forward-reverse --forward x   (forward mode, then backprop)
Look at: f = (x + y)·z at x = -2, y = 5, z = -4 (lesson 2's numbers) in forward mode three
times: ẋ = 1 and the other tangents 0, then ẏ = 1, then ż = 1. Each pass carries a tangent
from the inputs to f node by node (q̇ = ẋ + ẏ, ḟ = z·q̇ + q·ż) and gives one derivative:
∂f/∂x = -4, ∂f/∂y = -4, ∂f/∂z = 3. One reverse pass (backprop) gives all three. Then a neuron
with 3 inputs, o = tanh(w1·x1 + w2·x2 + w3·x3 + b): 4 forward-mode passes for its 4
parameters, or 1 reverse pass. The cost tables count passes and multiplications as
autograd.mode_costs does, and as the passes really make them: n inputs and one output (a
network's loss) favour reverse mode; one input and n outputs favour forward mode. costs.png
plots both; graph.svg and neuron.svg show each node's tangent beside its gradient, and
backprop.html steps through forward mode (x moving), then backprop, on the same graph.
"""

from autograd import Value, backward_steps, forward_steps, jvp, mode_costs, topological_order
from viz.format import fmt, pad, rpad, width
from viz.i18n import N_, _, ngettext
from viz.notation import partial
from viz.tangent import TangentStory, dotted

from . import plots
from .common import Lesson, name_of, parameters_of, print_backward

POINT = (("x", -2.0), ("y", 5.0), ("z", -4.0))  # lesson 2's f = (x + y)·z
# The neuron: data x1..x3, weights w1..w3, bias b; n = w·x + b = 0.5, so tanh'(n) is no round
# number and the data shows in every derivative: ∂o/∂w_i = tanh'(n)·x_i.
XS, WS, BIAS = (1.0, -2.0, 0.5), (0.5, 0.25, -1.0), 1.0
SIZES = (2, 4, 8, 16, 32, 64, 128, 256)  # n for the growing tables; the 3-input neuron is n = 4
SMALL_SIZES = SIZES[:4]
PRECISION = 6  # significant digits: tanh'(0.5) = 0.786448


def build():
    """f = (x + y)·z at (-2, 5, -4), labelled as lesson 2 labels it, not yet backpropagated."""
    x, y, z = (Value(v, name) for name, v in POINT)
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def neuron(inputs=XS, weights=WS, bias=BIAS):
    """o = tanh(w1·x1 + ... + b), each product p_i and partial sum s_i labelled."""
    total = None
    for i, (x, w) in enumerate(zip(inputs, weights), 1):
        p = Value(w, f"w{i}") * Value(x, f"x{i}")
        p.label = f"p{i}"
        if total is not None:
            total = total + p
            total.label = f"s{i - 1}"
        else:
            total = p
    n = total + Value(bias, "b")
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def leaves_named(root):
    """The leaves under `root` by label."""
    return {n.label: n for n in topological_order(root) if not n.inputs}


def count_forward(root, wrt):
    """One forward-mode pass for `wrt`: its steps and the multiplications it made."""
    steps = list(forward_steps(root, wrt))
    return steps, sum(len(s.products) for s in steps)


def count_reverse(root):
    """One reverse pass from `root` (it adds to .grad): the multiplications it made."""
    return sum(len(s.contributions) for s in backward_steps(root))


def num(x):
    """A number as the stepper prints it: -4, 0.786448 (print_backward keeps lesson 2's -4.0)."""
    return fmt(x, PRECISION)


def story(root, wrt, params=None):
    """Forward mode for `wrt` as viz.tangent tells it (the stepper's and the player's lines)."""
    return TangentStory(root, wrt, PRECISION, params=params)


def costs_lines(lesson, told, inputs, forward, reverse):
    """The cost table of autograd.mode_costs for d(root)/d(inputs), then the counted numbers."""
    for line in told.costs_lines(inputs):
        lesson.say(line)
    said = _(
        "counted while the passes above ran: {forward} multiplications in forward mode, "
        "{reverse} in reverse mode"
    )
    lesson.say(said.format(forward=forward, reverse=reverse))
    return mode_costs(told.rows[-1].node, inputs)


def values(lesson, told):
    """The forward pass: each node's value, inputs first, as the story says it."""
    lesson.say("")
    lesson.say(_("The values, inputs before the nodes made from them:"))
    for line in told.forward:
        lesson.say(f"  {line}")


def forward_passes(lesson, root, wrts, full, params=None):
    """A forward-mode pass per input in `wrts`; passes in `full` are printed node by node.

    Returns {input label: the root's tangent} and the multiplications all passes made."""
    top = name_of(root)
    found, mults = {}, 0
    for i, wrt in enumerate(wrts, 1):
        steps, made = count_forward(root, wrt)
        mults += made
        found[wrt.label] = steps[-1].tangent
        told = story(root, wrt, params)
        if wrt.label in full:
            lesson.say("")
            # TRANSLATORS: {seed} is e.g. "ẋ = 1", the tangent this pass starts from
            said = _("Forward-mode pass {i} of {n}: {seed}, every other input's tangent 0")
            lesson.say(said.format(i=i, n=len(wrts), seed=f"{told.wrt_dotted} = 1"))
            leaves = [told.step(k).question[0] for k, row in enumerate(told.rows) if not row.inputs]
            lesson.say("  " + ",  ".join(leaves))
            for k, row in enumerate(told.rows):
                if row.inputs:
                    lesson.say("  " + " ".join(told.step(k).lines()))
        elif i == 2:  # the first pass not printed in full
            said = _("Passes {first} to {last} go the same way, each from its own 1:")
            lesson.say(said.format(first=i, last=len(wrts)))
        said = _("  pass {i} gives one derivative: {d} = {dot} = {value}")
        dot = told.dotted(told.root_index)
        lesson.say(
            said.format(i=i, d=partial(top, wrt.label), dot=dot, value=num(found[wrt.label]))
        )
    return found, mults


def chain_rule_example(lesson):
    """f = (x + y)·z: three forward-mode passes, one reverse pass, the cost table."""
    f = build()
    leaves = leaves_named(f)
    inputs = [leaves[name] for name, _v in POINT]
    lesson.say(
        _(
            "f = (x + y)·z at x = -2, y = 5, z = -4, as in lesson 2. Forward mode carries a\n"
            "second number beside each value: its tangent, how fast it moves when one input\n"
            "moves at speed 1 (that input's tangent is 1, every other input's 0). A node's\n"
            "tangent is the sum over its inputs of local derivative × that input's tangent."
        )
    )
    values(lesson, story(f, inputs[0]))
    found, forward = forward_passes(lesson, f, inputs, full={leaf.label for leaf in inputs})
    steps = print_backward(lesson, f)  # fills .grad, as backward() would, for the pictures
    reverse = sum(len(s.contributions) for s in steps)
    grads = {s.node.label: s.grad for s in steps}
    lesson.say("")
    said = ngettext(
        "Forward mode took {n} pass for {n} derivative; reverse mode took 1 pass for all of them:",
        "Forward mode took {n} passes for {n} derivatives; reverse mode took 1 pass for all of "
        "them:",
        len(inputs),
    )
    lesson.say(said.format(n=len(inputs)))
    for leaf in inputs:
        d = partial("f", leaf.label)
        said = _("  {d}: forward mode {forward}, reverse mode {reverse}")
        lesson.say(said.format(d=d, forward=num(found[leaf.label]), reverse=num(grads[leaf.label])))
    lesson.say("")
    costs = costs_lines(lesson, story(f, inputs[0]), inputs, forward, reverse)
    lesson.record(
        f=f.data,
        q=f.inputs[0].data,
        forward={k: found[k] for k in found},
        reverse={leaf.label: grads[leaf.label] for leaf in inputs},
        costs=costs,
        counted={"forward": forward, "reverse": reverse},
    )
    return f


def neuron_example(lesson):
    """The 3-input neuron: a forward-mode pass per parameter against one reverse pass."""
    o = neuron()
    leaves = leaves_named(o)
    params = [leaves[name] for name in ("w1", "w2", "w3", "b")]
    lesson.say("")
    lesson.say(
        _(
            "A neuron with {k} inputs: {formula}.\n"
            "Training needs the derivative of o by each of its {n} parameters (the weights and\n"
            "the bias); the data x1, x2, x3 stay fixed."
        ).format(k=len(XS), formula="o = tanh(w1·x1 + w2·x2 + w3·x3 + b)", n=len(params))
    )
    values(lesson, story(o, params[0], params))
    found, forward = forward_passes(lesson, o, params, full={"w1"}, params=params)
    reverse = count_reverse(o)  # the one reverse pass: it fills .grad, as backward() would
    grads = {p.label: p.grad for p in params}
    lesson.say("")
    lesson.say(
        _(
            "Every node's tangent in each forward-mode pass (one column per pass), and what\n"
            "the one reverse pass gives (the last column): forward mode finds how every node\n"
            "moves with one input; reverse mode how the output moves with every node."
        )
    )
    nodes = topological_order(o)
    heads = [_("node")] + [f"{dotted(p.label)} = 1" for p in params] + [partial("o", "node")]
    if _("node") != "node":  # the column of ∂o/∂node names the column it is read against
        heads[-1] = partial("o", _("node"))
    cols = [max(6, width(heads[0]))] + [max(9, width(h)) for h in heads[1:]]
    lesson.say("  " + "  ".join(rpad(h, c) for h, c in zip(heads, cols)))
    tangents = {p.label: jvp(o, [p], [1.0]) for p in params}
    for node in nodes:
        row = [name_of(node)] + [num(tangents[p.label].of(node)) for p in params]
        row.append(num(node.grad))
        lesson.say("  " + "  ".join(rpad(v, c) for v, c in zip(row, cols)))
    said = _(
        "Row o holds the numbers that the rows of {params} hold in the last column:\n"
        "{d} from forward mode equals {d} from reverse mode, and so on."
    )
    names = ", ".join(p.label for p in params)
    lesson.say(said.format(params=names, d=partial("o", "w1")))
    lesson.say("")
    costs = costs_lines(lesson, story(o, params[0], params), params, forward, reverse)
    lesson.record(
        neuron={
            "o": o.data,
            "n": o.inputs[0].data,
            "forward": found,
            "reverse": grads,
            "costs": costs,
            "counted": {"forward": forward, "reverse": reverse},
        }
    )
    return o, leaves


def chain(n, t=0.5):
    """One input t and n outputs: y1 = tanh(t), y2 = tanh(y1), ..., each y_k an output."""
    ys, y = [], Value(t, "t")
    for k in range(1, n + 1):
        y = y.tanh()
        y.label = f"y{k}"
        ys.append(y)
    return ys


def growing(lesson):
    """Both ways over growing n: n inputs -> 1 output, and 1 input -> n outputs, counted."""
    sizes = SMALL_SIZES if lesson.small else SIZES
    lesson.say("")
    lesson.say(
        _(
            "The same counts as n grows, measured by running the passes.\n"
            "n inputs → 1 output: a neuron with n - 1 inputs, differentiated by its n\n"
            "parameters (n - 1 weights and the bias), as a loss by a network's weights.\n"
            "1 input → n outputs: a chain y1 = tanh(t), y2 = tanh(y1), …, every {y} an\n"
            "output; reverse mode needs a pass from each {y}."
        ).format(y="y_k")
    )
    heads = ["n", _("edges"), _("passes"), _("multiplications"), _("passes"), _("multiplications")]
    cols = [max(5, width(h)) for h in heads]
    forward_at = width("  " + "  ".join(rpad("", c) for c in cols[:2]))
    span = width("  ".join(rpad("", c) for c in cols[2:4]))
    modes = pad(_("forward mode"), span) + "  " + _("reverse mode")
    tables = {}
    for key, title in (
        ("inputs", _("n inputs → 1 output (the neuron):")),
        ("outputs", _("1 input → n outputs (the chain):")),
    ):
        lesson.say("")
        lesson.say(title)
        lesson.say(" " * forward_at + "  " + modes)
        lesson.say("  " + "  ".join(rpad(h, c) for h, c in zip(heads, cols)))
        rows = []
        for n in sizes:
            if key == "inputs":  # a forward-mode pass per parameter, one reverse pass
                o = neuron([1.0] * (n - 1), [0.1] * (n - 1), 0.1)
                leaves = leaves_named(o)
                params = [leaves[f"w{i}"] for i in range(1, n)] + [leaves["b"]]
                row = {"edges": mode_costs(o, params).edges}
                row.update(forward_passes=len(params), reverse_passes=1)
                row["forward"] = sum(count_forward(o, p)[1] for p in params)
                row["reverse"] = count_reverse(o)
            else:  # one forward-mode pass gives every y_k's tangent; a reverse pass per output
                ys = chain(n)
                t = ys[0].inputs[0]
                row = {"edges": mode_costs(ys[-1], [t]).edges}
                row.update(forward_passes=1, reverse_passes=len(ys))
                row["forward"] = count_forward(ys[-1], t)[1]
                row["reverse"] = sum(count_reverse(y) for y in ys)
            row["n"] = n
            rows.append(row)
            shown = [n, row["edges"], row["forward_passes"], row["forward"]]
            shown += [row["reverse_passes"], row["reverse"]]
            lesson.say("  " + "  ".join(rpad(str(v), c) for v, c in zip(shown, cols)))
        tables[key] = rows
    lesson.say("")
    lesson.say(
        _(
            "n inputs and one output, as a loss has (a network's has thousands of weights):\n"
            "reverse mode, one pass however large n is. One input and n outputs: forward\n"
            "mode, one pass for all of them. Each mode walks every edge once per pass; what\n"
            "differs is how many passes it needs."
        )
    )
    lesson.record(growing=tables)
    series = {
        _("forward mode, n inputs → 1 output"): tables["inputs"],
        _("reverse mode, n inputs → 1 output"): tables["inputs"],
        _("forward mode, 1 input → n outputs"): tables["outputs"],
        _("reverse mode, 1 input → n outputs"): tables["outputs"],
    }
    groups = {}
    for i, (name, rows) in enumerate(series.items()):
        mode = "forward" if i % 2 == 0 else "reverse"
        groups[name] = {f"n = {r['n']}": r[mode] for r in rows}
    plots.bars(
        lesson,
        "costs.png",
        groups,
        _("Multiplications for all the derivatives, each way, as n grows"),
        _("multiplications (log scale)"),
        what=_(
            "n inputs → 1 output: reverse mode's bars stay low; 1 input → n outputs: forward mode's"
        ),
    )


def run(lesson):
    f = chain_rule_example(lesson)
    o, leaves = neuron_example(lesson)
    growing(lesson)
    x = leaves_named(f)["x"]
    lesson.pictures(
        f,
        wrt=x,
        mode="both",
        what=_("the graph: each box's value, its tangent by x ({dot} = 1) and its gradient").format(
            dot=dotted("x")
        ),
        page=_("forward mode (x moving), then backprop, on one graph: arrow keys; Q to quiz"),
    )
    lesson.pictures(
        o,
        "neuron.svg",
        what=_(
            "the neuron: each box's value, its tangent by w1 ({dot} = 1) and its gradient"
        ).format(dot=dotted("w1")),
        player=False,
        params=parameters_of(o),
        wrt=leaves["w1"],
    )
    lesson.look_for(_("each forward-mode pass gives one derivative; the reverse pass gives all"))
    lesson.look_for(
        _("the tangent lines: {line} is the chain rule read from the inputs towards f").format(
            line=f"{dotted('q')} = {dotted('x')} + {dotted('y')}"
        )
    )
    lesson.look_for(
        _(
            "the cost tables: forward mode needs n passes, so its multiplications grow as "
            "n × edges; reverse mode's one pass grows only with the edges"
        )
    )


LESSON = Lesson(
    "forward-reverse",
    N_("forward vs reverse mode: a pass per input, or one pass for every input's derivative"),
    run,
    build,
    title=N_("21. Forward vs reverse mode"),
)
