"""Lesson 16: batch normalisation: every example's gradient depends on the others.

Run it:  chainrule run batch-norm
Look at: one neuron z = w0·x0 + w1·x1 + b over a batch of 4 examples, then batch norm:
yᵢ = γ·(zᵢ - μ)/√(σ² + eps) + β with μ and σ² the batch's mean and variance. Each zᵢ
reaches the loss through its own dᵢ = zᵢ - μ and through the batch's mean and variance, so
∂L/∂z1 changes when only example 4 changes, and the four ∂L/∂zᵢ add up to 0: the bias b
gets no gradient at all. The engine's ∂L/∂zᵢ equal the textbook formula. Training moves
the running mean and variance 10% of the way to each batch's; eval mode normalises by them,
so the same batch gives other outputs, and each example's output stops depending on the
rest. graph.svg: every example's nodes, the mean and the variance folded into boxes that
every example feeds and reads; running_mean.png, running_var.png: the running statistics
follow the batches, smoothed.
"""

import copy

import numpy as np

from autograd import Value, no_grad, scope
from nn.layers import Neuron
from nn.norm import BatchNorm1d
from nn.optim import SGD
from viz.format import pad, width
from viz.i18n import N_, _
from viz.narrate import paren
from viz.notation import partial

from . import plots
from .common import Lesson

# The pictured batch: z = 1·x0 - 0.5·x1 + 0.5 gives z = 2, 0, 0.5, 3.5 (μ = 1.5, σ² = 1.875).
X = ((2.0, 1.0), (0.0, 1.0), (1.0, 2.0), (3.0, 0.0))
TARGETS = (1.0, -1.0, 0.0, 3.0)
W, B = (1.0, -0.5), 0.5
GAMMA, BETA = 2.0, 0.5
CHANGED = 5.0  # example 4's x0, from 3: only that example changes
N = len(X)
# Training: EXAMPLES points in batches of N, SGD; the targets follow x1, so w turns towards it.
EXAMPLES, LR, MOMENTUM = 64, 0.1, 0.1


def model():
    """The lesson's neuron (no activation) and batch norm, with the pictured numbers."""
    neuron = Neuron(2, nonlin=False)
    for w, value in zip(neuron.w, W):
        w.data = value
    neuron.b.data = B
    norm = BatchNorm1d(1, momentum=MOMENTUM)
    norm.gamma[0].data, norm.beta[0].data = GAMMA, BETA
    norm.gamma[0].label, norm.beta[0].label = "γ", "β"
    return neuron, norm


def forward(neuron, norm, rows, targets):
    """The batch's graph, its nodes labelled as the lesson prints them: a dict of lists/nodes.

    Each example's neuron runs in a scope of its own (z1 .. z4: one box each in graph.svg);
    the mean and the variance are the norm's scopes, the loss is one more.
    """
    xs = [[Value(v, f"x{k}[{i + 1}]") for k, v in enumerate(row)] for i, row in enumerate(rows)]
    zs = []
    for i, x in enumerate(xs):
        with scope(f"z{i + 1}"):
            zs.append(neuron(x))
        zs[-1].label = f"z{i + 1}"
    ys = [row[0] for row in norm([[z] for z in zs])]
    nodes = {"x": xs, "z": zs, "y": ys, "zhat": [], "d": []}
    for i, y in enumerate(ys):  # y = γ·ẑ + β, ẑ = d · (1/σ), d = z - μ: read back from the graph
        y.label = f"y{i + 1}"
        zhat = y.inputs[0].inputs[1]
        d, inv = zhat.inputs
        zhat.label, d.label = f"ẑ{i + 1}", f"d{i + 1}"
        nodes["zhat"].append(zhat)
        nodes["d"].append(d)
    if norm.training:
        inv.label = "1/σ"
        nodes["inv"], nodes["mean"] = inv, d.inputs[1]
        nodes["var"] = inv.inputs[0].inputs[0]  # 1/σ = (σ² + eps) ** -0.5
        nodes["mean"].label, nodes["var"].label = "μ", "σ²"
    with scope("loss"):
        squares = [(y - Value(t, f"t{i + 1}")) ** 2 for i, (y, t) in enumerate(zip(ys, targets))]
        total = squares[0]
        for s in squares[1:]:
            total = total + s
        loss = total / Value(float(len(squares)), "n")
    loss.label = "L"
    nodes["loss"] = loss
    return nodes


def build():
    """The pictured batch through the neuron and batch norm, backpropagated."""
    neuron, norm = model()
    nodes = forward(neuron, norm, X, TARGETS)
    nodes["loss"].backward()
    return nodes["loss"]


def table(lesson, heads, rows):
    """Rows of numbers under their headings, each column as wide as its widest entry."""
    cells = [heads] + [[lesson.num(v) if not isinstance(v, str) else v for v in r] for r in rows]
    widths = [max(width(row[j]) for row in cells) + 2 for j in range(len(heads))]
    for row in cells:
        lesson.say("  " + "".join(pad(c, w) for c, w in zip(row, widths)).rstrip())


def forward_pass(lesson, nodes, norm):
    num = lesson.num
    lesson.say(
        _(
            "One neuron z = w0·x0 + w1·x1 + b (w0 = {w0}, w1 = {w1}, b = {b}) on a batch of\n"
            "{n} examples, then batch normalisation (γ = {gamma}, β = {beta}, eps = {eps}):\n"
            "  μ = (z1 + ... + z{n}) / {n},  dᵢ = zᵢ - μ,  σ² = (d1² + ... + d{n}²) / {n},\n"
            "  ẑᵢ = dᵢ / √(σ² + eps),  yᵢ = γ·ẑᵢ + β;  loss L = ((y1 - t1)² + ...) / {n}."
        ).format(
            w0=num(W[0]),
            w1=num(W[1]),
            b=num(B),
            n=N,
            gamma=num(GAMMA),
            beta=num(BETA),
            eps=f"{norm.eps:g}",
        )  # fmt: skip
    )
    lesson.say("")
    lesson.say(_("Forward pass:"))
    rows = []
    for i in range(N):
        x0, x1 = (v.data for v in nodes["x"][i])
        z, d, zhat, y = (nodes[k][i].data for k in ("z", "d", "zhat", "y"))
        rows.append([str(i + 1), x0, x1, z, d, zhat, y, TARGETS[i]])
    table(lesson, [_("example"), "x0", "x1", "z", "d", "ẑ", "y", "t"], rows)
    zs = [z.data for z in nodes["z"]]
    squares = [d.data**2 for d in nodes["d"]]
    mean, var, inv = (nodes[k].data for k in ("mean", "var", "inv"))
    lesson.say(f"  μ = ({' + '.join(map(num, zs))}) / {N} = {num(mean)}")
    lesson.say(f"  σ² = ({' + '.join(map(num, squares))}) / {N} = {num(var)}")
    lesson.say(f"  1/σ = 1/√({num(var)} + {norm.eps:g}) = {num(inv)}")
    lesson.say(f"  L = {num(nodes['loss'].data)}")
    lesson.record(
        z=zs, mean=mean, var=var, inv=inv, d=[d.data for d in nodes["d"]],
        zhat=[v.data for v in nodes["zhat"]], y=[v.data for v in nodes["y"]],
        loss=nodes["loss"].data,
    )  # fmt: skip


def formula(dzhat, zhat, inv):
    """The textbook ∂L/∂zᵢ from gᵢ = ∂L/∂ẑᵢ: (gᵢ - Σg/n - ẑᵢ·Σ(g·ẑ)/n) · 1/σ."""
    n = len(dzhat)
    g_mean = sum(dzhat) / n
    gz_mean = sum(g * z for g, z in zip(dzhat, zhat)) / n
    return [(g - g_mean - z * gz_mean) * inv for g, z in zip(dzhat, zhat)]


def backward_pass(lesson, nodes, neuron, norm):
    num = lesson.num
    gamma, beta = norm.gamma[0], norm.beta[0]
    dy = [y.grad for y in nodes["y"]]
    dzhat = [v.grad for v in nodes["zhat"]]
    zhat = [v.data for v in nodes["zhat"]]
    lesson.say("")
    lesson.say(_("Backward pass (the engine's gradients):"))
    lesson.say(
        _("  {d_y} = (yᵢ - tᵢ) / {half}:  {values}").format(
            d_y=partial("L", "yᵢ"), half=N // 2, values=",  ".join(map(num, dy))
        )
    )
    lesson.say(
        f"  {partial('L', 'γ')} = Σ {partial('L', 'yᵢ')} · ẑᵢ = {num(gamma.grad)},"
        f"  {partial('L', 'β')} = Σ {partial('L', 'yᵢ')} = {num(beta.grad)}"
    )
    lesson.say(
        _("  {d_zhat} = γ · {d_y}:  {values}").format(
            d_zhat=partial("L", "ẑᵢ"), d_y=partial("L", "yᵢ"), values=",  ".join(map(num, dzhat))
        )
    )
    mean, var, inv = nodes["mean"], nodes["var"], nodes["inv"]
    d1, z1 = nodes["d"][0], nodes["z"][0]
    lesson.say(
        _(
            "Each zᵢ reaches the loss along several paths (fan-out): through its own dᵢ, which\n"
            "goes straight to ẑᵢ and, squared, into σ² (which every ẑⱼ divides by); and through\n"
            "μ, which every dⱼ subtracts. For example 1:"
        )
    )
    lesson.say(
        f"  {partial('L', 'z1')} = {partial('L', 'd1')} + {partial('L', 'μ')} · 1/{N}"
        f" = {num(d1.grad)} + {paren(num(mean.grad))} · {num(1 / N)} = {num(z1.grad)}"
    )
    lesson.say(
        f"  {partial('L', 'd1')} = {partial('L', 'ẑ1')} · 1/σ + {partial('L', 'σ²')} · 2·d1/{N}"
        f"\n      = {num(dzhat[0])} · {num(inv.data)} + {paren(num(var.grad))} · 2 · "
        f"{paren(num(d1.data))} / {N} = {num(d1.grad)}"
    )
    engine = [z.grad for z in nodes["z"]]
    textbook = formula(dzhat, zhat, inv.data)
    lesson.say(
        _(
            "The textbook formula, with gᵢ = {d_zhat}, gives the same:\n"
            "  {d_z} = (gᵢ - Σg/{n} - ẑᵢ · Σ(g·ẑ)/{n}) · 1/σ"
        ).format(d_zhat=partial("L", "ẑᵢ"), d_z=partial("L", "zᵢ"), n=N)
    )
    rows = [[str(i + 1), e, t] for i, (e, t) in enumerate(zip(engine, textbook))]
    table(lesson, [_("example"), _("engine"), _("formula")], rows)
    total = sum(engine)
    lesson.say(
        _(
            "  {sum} = {total}: 0 up to rounding.\n"
            "Adding one number to every zᵢ changes no dᵢ, so the loss cannot feel it, and b\n"
            "is added to every zᵢ: {d_b} = {b_grad}. The bias before batch normalisation\n"
            "learns nothing."
        ).format(
            sum=" + ".join(partial("L", f"z{i + 1}") for i in range(N)),
            total=f"{total:.1e}",
            d_b=partial("L", "b"),
            b_grad=f"{neuron.b.grad:.1e}",
        )
    )
    lesson.record(
        dy=dy, dzhat=dzhat, dz=engine, dz_formula=textbook, dz_sum=total, d_gamma=gamma.grad,
        d_beta=beta.grad, d_b=neuron.b.grad, d_w=[w.grad for w in neuron.w],
        d_mean=mean.grad, d_var=var.grad, d_d1=d1.grad,
    )  # fmt: skip


def first_gradient(rows, batch_norm):
    """∂L/∂z1 and y1 (z1 without batch norm) for the lesson's model on `rows`."""
    neuron, norm = model()
    if batch_norm:
        nodes = forward(neuron, norm, rows, TARGETS)
        nodes["loss"].backward()
        return nodes["z"][0].grad, nodes["y"][0].data
    zs = [neuron(list(row)) for row in rows]
    loss = sum(((z - t) ** 2 for z, t in zip(zs, TARGETS)), Value(0.0)) / N
    loss.backward()
    return zs[0].grad, zs[0].data


def dependence(lesson):
    num = lesson.num
    changed = [list(row) for row in X]
    changed[-1][0] = CHANGED
    with_bn = [first_gradient(rows, True) for rows in (X, changed)]
    without = [first_gradient(rows, False) for rows in (X, changed)]
    lesson.say("")
    lesson.say(
        _(
            "Change one example: x0[{n}] = {old} -> {new}. Example 1's own numbers stay the same;\n"
            "its gradient:"
        ).format(n=N, old=num(X[-1][0]), new=num(CHANGED))
    )
    lines = {
        _("with batch normalisation:"): with_bn,
        _("without (L = ((z1 - t1)² + ...) / {n}):").format(n=N): without,
    }
    column = max(map(width, lines)) + 2
    for head, ((g0, _y0), (g1, _y1)) in lines.items():
        lesson.say(f"  {pad(head, column)}{partial('L', 'z1')} = {num(g0)} -> {num(g1)}")
    lesson.say(
        _(
            "With batch normalisation example 1's gradient moved although only example {n}\n"
            "changed: μ and σ² belong to the whole batch."
        ).format(n=N)
    )
    lesson.record(dz1_bn=[g for g, _y in with_bn], dz1_plain=[g for g, _y in without])


def training_data(seed):
    """EXAMPLES points around the pictured batch's centre (1.5, 1); the target is 2·x1 - 1
    plus a little noise."""
    rng = np.random.default_rng(seed)
    points = rng.normal([1.5, 1.0], 1.0, size=(EXAMPLES, 2))
    return points, 2.0 * points[:, 1] - 1.0 + 0.1 * rng.standard_normal(EXAMPLES)


def train(lesson, neuron, norm, steps):
    """SGD on batches of N: per step the loss, the batch's mean and unbiased variance of z,
    and the running statistics after it."""
    points, targets = training_data(lesson.seed)
    rng = np.random.default_rng(lesson.seed + 1)
    optimiser = SGD(neuron.parameters() + norm.parameters(), lr=LR)
    history = {"loss": [], "mean": [], "var": [], "running_mean": [], "running_var": []}
    order = []
    for _step in range(steps):
        if not order:
            order = list(rng.permutation(EXAMPLES))
        batch = [order.pop() for _ in range(N)]
        nodes = forward(neuron, norm, points[batch].tolist(), targets[batch].tolist())
        optimiser.zero_grad()
        nodes["loss"].backward()
        optimiser.step()
        zs = np.array([z.data for z in nodes["z"]])
        history["loss"].append(nodes["loss"].data)
        history["mean"].append(float(zs.mean()))
        history["var"].append(float(zs.var(ddof=1)))
        history["running_mean"].append(norm.running_mean[0])
        history["running_var"].append(norm.running_var[0])
    return history


def train_and_eval(lesson):
    num = lesson.num
    neuron, norm = model()
    epoch = EXAMPLES // N  # steps in one pass over the data
    steps = (2 if lesson.small else 4) * epoch
    h = train(lesson, neuron, norm, steps)
    m = MOMENTUM
    lesson.say("")
    lesson.say(
        _(
            "Training: {examples} examples in batches of {n}, SGD, learning rate {lr}, {steps} "
            "steps.\nAfter each step the running mean and running variance move {pct} of the "
            "way\nto the batch's (momentum {m}); the running variance moves towards the "
            "unbiased\nvariance, {n}/{n1} · σ²:"
        ).format(
            examples=EXAMPLES,
            n=N,
            n1=N - 1,
            lr=f"{LR:g}",
            steps=steps,
            pct=f"{100 * m:g}%",
            m=f"{m:g}",
        )  # fmt: skip
    )
    biased = h["var"][0] * (N - 1) / N
    keep = f"{1 - m:g}"
    lesson.say(
        _("  step 1: running mean = {keep} · 0 + {m} · {mean} = {running}").format(
            keep=keep, m=f"{m:g}", mean=paren(num(h["mean"][0])), running=num(h["running_mean"][0])
        )
    )
    lesson.say(
        _("          running variance = {keep} · 1 + {m} · {n}/{n1} · {var} = {running}").format(
            keep=keep, m=f"{m:g}", n=N, n1=N - 1, var=num(biased), running=num(h["running_var"][0])
        )
    )
    lesson.say(
        _("  after step {steps}: running mean {mean}, running variance {var}").format(
            steps=steps, mean=num(h["running_mean"][-1]), var=num(h["running_var"][-1])
        )
    )
    losses = [float(np.mean(h["loss"][k : k + epoch])) for k in range(0, steps, epoch)]
    lesson.say(
        _("  mean loss of each pass over the data ({epoch} steps): {losses}").format(
            epoch=epoch, losses=", ".join(map(num, losses))
        )
    )
    lesson.say(
        _(
            "  (it falls, but not smoothly: the statistics of {n} examples are noisy, so each\n"
            "  batch normalises a little differently.)"
        ).format(n=N)
    )
    lesson.record(history=h, steps=steps, epoch_losses=losses)

    # The lesson's own batch through the trained model, in both modes (a copy runs in
    # training mode, so the real norm's running statistics stay as they are).
    with no_grad():
        zs = [neuron(list(row)).data for row in X]
        trained = [row[0].data for row in copy.deepcopy(norm)([[z] for z in zs])]
        norm.eval()
        evaluated = [row[0].data for row in norm([[z] for z in zs])]
        changed = [list(row) for row in X]
        changed[-1][0] = CHANGED
        zs_changed = [neuron(list(row)).data for row in changed]
        evaluated_changed = [row[0].data for row in norm([[z] for z in zs_changed])]
    rm, rv = norm.running_mean[0], norm.running_var[0]
    gamma, beta = norm.gamma[0].data, norm.beta[0].data
    lesson.say("")
    lesson.say(
        _("The pictured batch again, through the trained neuron: z = {zs}").format(
            zs=", ".join(map(num, zs))
        )
    )
    rows = {
        _("training mode (the batch's μ and σ²):"): trained,
        _("eval mode (running mean and variance):"): evaluated,
    }
    column = max(map(width, rows)) + 2
    for head, ys in rows.items():
        lesson.say(f"  {pad(head, column)}y = {', '.join(map(num, ys))}")
    lesson.say(
        _(
            "In eval mode y1 = γ · (z1 - running mean) / √(running variance + eps) + β\n"
            "  = {gamma} · ({z1} - {rm}) / √({rv} + {eps}) + {beta} = {y1},\n"
            "and with x0[{n}] = {new} it stays {y1_changed}: each example is normalised on its own."
        ).format(
            gamma=num(gamma),
            z1=num(zs[0]),
            rm=paren(num(rm)),
            rv=num(rv),
            eps=f"{norm.eps:g}",
            beta=paren(num(beta)),
            y1=num(evaluated[0]),
            n=N,
            new=num(CHANGED),
            y1_changed=num(evaluated_changed[0]),
        )  # fmt: skip
    )
    lesson.record(
        trained_z=zs, train_mode=trained, eval_mode=evaluated, eval_changed=evaluated_changed,
        running_mean=rm, running_var=rv, gamma=gamma, beta=beta,
    )  # fmt: skip
    return h


def run(lesson):
    neuron, norm = model()
    nodes = forward(neuron, norm, X, TARGETS)
    nodes["loss"].backward()
    forward_pass(lesson, nodes, norm)
    backward_pass(lesson, nodes, neuron, norm)
    dependence(lesson)
    h = train_and_eval(lesson)

    for key, filename, batch, running, title in (
        ("mean", "running_mean.png", N_("batch mean of z"), N_("running mean"),
         N_("The running mean follows the batch means (momentum {m})")),
        ("var", "running_var.png", N_("batch variance of z (unbiased)"), N_("running variance"),
         N_("The running variance follows the batch variances (momentum {m})")),
    ):  # fmt: skip
        plots.curves(
            lesson,
            filename,
            {_(batch): h[key], _(running): h[f"running_{key}"]},
            _(title).format(m=f"{MOMENTUM:g}"),
            xlabel=_("step"),
            ylabel=_("value"),
            pairs=True,
            what=_("dashed: the running value, smoothed, trailing the solid batch values"),
        )
    lesson.pictures(
        nodes["loss"],
        params=neuron.parameters() + norm.parameters(),
        collapse=True,
        what=_("every example's nodes; the mean box feeds all four dᵢ, and they feed the variance"),
    )
    lesson.look_for(
        _(
            "graph.svg: each zᵢ box feeds the mean box, and the mean feeds every dᵢ: "
            "that is the fan-out"
        )
    )
    lesson.look_for(_("graph.svg: b's gradient is 0 up to rounding, as the sum of the ∂L/∂zᵢ"))
    lesson.look_for(
        _("backprop.html: step back to z1 and count what it receives: from d1 and from the mean")
    )
    lesson.look_for(
        _("running_mean.png, running_var.png: the dashed running values trail the batches'")
    )


LESSON = Lesson(
    "batch-norm",
    N_("batch norm: every example's gradient depends on the others; train vs eval"),
    run,
    build,
    title=N_("16. Batch normalisation"),
)
