"""Lesson 19: self-attention on three tokens of two features, every number small enough to follow.

Run it:  chainrule run self-attention
Look at: Q, K and V (one-decimal numbers), the scores S = Q Kᵀ / √2, the weights A (each row
sums to 1) and the output A V; the softmax's Jacobian for one row; the seed tutorial's
hand-written attention_backward checked against the engine (unscaled and scaled: the 1/√d
enters dQ and dK); why attention needs positional encoding. graph.svg folds the graph into
query, key, value, scores, softmax, mix and loss; backprop.html steps through all of it;
attention.png shows A as a heatmap, beside the causal A.
"""

import math

import numpy as np

from autograd import Value, scope
from nn.activations import softmax
from nn.attention import (
    MultiHeadAttention,
    SelfAttention,
    attention,
    attention_backward,
    positional_encoding,
)
from viz.format import pad, width
from viz.i18n import N_, _

from . import plots
from .common import Lesson, parameters_of

X = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]  # three tokens, two features each
W = {  # the projections' weights (out x in), so Q = X Wqᵀ and so on
    "query": [[1.0, 0.2], [-0.5, 0.8]],
    "key": [[0.9, -0.3], [0.4, 1.1]],
    "value": [[0.6, -0.2], [0.3, 0.7]],
}
G = [[0.5, -1.0], [1.0, 0.2], [-0.3, 0.4]]  # ∂L/∂out: L = sum of G ⊙ out
ORDER = [2, 0, 1]  # tokens 3, 1, 2: a reordering for the positional-encoding check


def model(scale=True, causal=False):
    """One head over two features, no biases, with the lesson's weights."""
    head = SelfAttention(2, causal=causal, scale=scale, bias=False)
    for name, rows in W.items():
        for neuron, row in zip(getattr(head, name).neurons, rows):
            for w, x in zip(neuron.w, row):
                w.data = x
    return head


def tokens(rows=X):
    return [[Value(x, f"x{i + 1}{f + 1}") for f, x in enumerate(row)] for i, row in enumerate(rows)]


def forward(head, rows=X):
    """The head on the tokens, L = sum of G ⊙ out backpropagated; (L, Q, K, V, out)."""
    x = tokens(rows)
    proj = {name: [getattr(head, name)(xi) for xi in x] for name in W}  # head.forward's first step
    for name, seq in proj.items():
        for i, position in enumerate(seq):
            for f, v in enumerate(position):
                v.label = f"{name[0]}{i + 1}{f + 1}"  # q12: token 1's query, feature 2
    out, A = attention(
        proj["query"], proj["key"], proj["value"], head.scale, head.causal, return_weights=True
    )
    head.weights = A
    with scope("loss"):  # one box in graph.svg
        terms = [
            o * Value(g, f"g{i + 1}{f + 1}")  # g12 = ∂L/∂o12
            for i, (pos, gs) in enumerate(zip(out, G))
            for f, (o, g) in enumerate(zip(pos, gs))
        ]
        loss = terms[0]
        for t in terms[1:]:
            loss = loss + t
    loss.label = "L"
    loss.backward()
    return loss, proj["query"], proj["key"], proj["value"], out


def data(rows):
    return np.array([[float(v.data) for v in row] for row in rows])


def grad(rows):
    return np.array([[float(v.grad) for v in row] for row in rows])


def show(lesson, blocks, digits=3):
    """Matrices side by side, a row per token: blocks is [(heading, matrix[, decimals])]."""
    cells = []
    for head, M, *decimals in blocks:
        places = decimals[0] if decimals else digits
        rows = [" ".join(f"{x:{places + 4}.{places}f}" for x in row) for row in M]
        column = max(width(head), *(len(r) for r in rows)) + 4
        cells.append((column, [head] + rows))
    for k in range(max(len(lines) for _column, lines in cells)):
        row = (pad(lines[k] if k < len(lines) else "", column) for column, lines in cells)
        lesson.say("  " + "".join(row).rstrip())


def jacobian(scores):
    """∂a_j/∂s_k for one row of scores, by the engine: backward from each a_j in turn."""
    rows = []
    for j in range(len(scores)):
        s = [Value(x) for x in scores]
        softmax(s)[j].backward()
        rows.append([v.grad for v in s])
    return np.array(rows)


def most(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def heatmaps(lesson, filename, panels, title, what):
    """Attention weights as heatmaps side by side: panels is [(subtitle, A, hidden cells)]."""
    plt = plots._pyplot(lesson, what)
    if plt is None:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 4.3), squeeze=False)
    names = [_("token {n}").format(n=i + 1) for i in range(len(X))]
    cmap = plt.get_cmap("Blues")
    cmap = cmap.with_extremes(bad="#e8e8e8")  # a hidden (causal) cell: grey, no number
    for ax, (subtitle, A, hidden) in zip(axes.ravel(), panels):
        ax.imshow(np.ma.masked_array(A, hidden), cmap=cmap, vmin=0.0, vmax=1.0)
        ax.grid(False)
        for (i, j), a in np.ndenumerate(A):
            if not hidden[i, j]:
                ax.text(j, i, f"{a:.2f}", ha="center", va="center", fontsize=11,
                        color="white" if a > 0.6 else "black")  # fmt: skip
        ax.set(title=subtitle, xlabel=_("key"), ylabel=_("query"))
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks(range(len(names)), names)
    fig.suptitle(title)
    return plots._save(lesson, plt, fig, filename, what)


def build():
    """The head on the three tokens, scaled, backpropagated from L = sum of G ⊙ out."""
    return forward(model())[0]


def run(lesson):
    head = model()
    loss, Q, K, V, out = forward(head)
    Qa, Ka, Va, A, O = data(Q), data(K), data(V), data(head.weights), data(out)
    S = Qa @ Ka.T / math.sqrt(2)
    lesson.say(_("Three tokens of two features; one attention head, no biases."))
    show(lesson, [("X", X, 1), ("Wq", W["query"], 1), ("Wk", W["key"], 1), ("Wv", W["value"], 1)])
    lesson.say("")
    show(lesson, [("Q = X Wqᵀ", Qa, 1), ("K = X Wkᵀ", Ka, 1), ("V = X Wvᵀ", Va, 1)])
    lesson.say("")
    lesson.say(_("Each query is scored against each key, then each row becomes weights:"))
    show(lesson, [("S = Q Kᵀ / √2", S), ("A = softmax(S)", A), (_("out = A V"), O)])
    sums = A.sum(axis=1)
    lesson.say(
        _("Each row of A sums to 1: {sums}. Token 1 attends most to token {best}.").format(
            sums=", ".join(f"{s:.3f}" for s in sums), best=int(A[0].argmax()) + 1
        )
    )
    lesson.record(Q=Qa.tolist(), K=Ka.tolist(), V=Va.tolist(), S=S.tolist(), A=A.tolist())
    lesson.record(out=O.tolist(), row_sums=sums.tolist(), loss=float(loss.data))

    J = jacobian(S[0])
    formula = np.diag(A[0]) - np.outer(A[0], A[0])
    lesson.say("")
    lesson.say(_("The softmax's Jacobian for row 1, ∂a1j/∂s1k = a1j (δjk - a1k), by the engine:"))
    show(lesson, [("∂a1j/∂s1k", J, 4)])
    lesson.say(
        _(
            "It equals a1j (δjk - a1k) to {diff:.1e}. Its rows sum to {sums}: the weights always"
            " add up to 1,\nso raising every score of a row by the same amount changes nothing."
        ).format(diff=most(J, formula), sums=", ".join(f"{abs(s):.1f}" for s in J.sum(axis=1)))
    )
    lesson.record(jacobian=J.tolist(), jacobian_diff=most(J, formula))

    lesson.say("")
    lesson.say(
        _("The tutorial's {function} (numpy, by hand) against the engine, ∂L/∂out = G:").format(
            function="attention_backward"
        )
    )
    show(lesson, [("G", G, 1)])
    diffs = {}
    unscaled = model(scale=False)
    _l, Qu, Ku, Vu, _o = forward(unscaled)
    hand = attention_backward(G, data(Qu), data(Ku), data(Vu), data(unscaled.weights))
    engine = (grad(Qu), grad(Ku), grad(Vu))
    diffs["unscaled"] = [most(e, h) for e, h in zip(engine, hand)]
    lesson.say(
        _("  unscaled, S = Q Kᵀ: max |difference| dQ {dq:.1e}, dK {dk:.1e}, dV {dv:.1e}").format(
            dq=diffs["unscaled"][0], dk=diffs["unscaled"][1], dv=diffs["unscaled"][2]
        )
    )
    hand = attention_backward(G, Qa, Ka, Va, A)  # dS from the scaled weights
    engine = (grad(Q), grad(K), grad(V))
    c = 1 / math.sqrt(2)
    diffs["scaled"] = [most(engine[0], c * hand[0]), most(engine[1], c * hand[1])]
    diffs["scaled"].append(most(engine[2], hand[2]))
    diffs["unfactored"] = most(engine[0], hand[0])
    lesson.say(
        _(
            "  scaled, S = Q Kᵀ / √2: ∂S/∂Q carries the 1/√2, so dQ = (1/√2) dS K and"
            " dK = (1/√2) dSᵀ Q;\n  with the factor: dQ {dq:.1e}, dK {dk:.1e}, dV {dv:.1e};"
            " without it dQ is off by {off:.3f}."
        ).format(
            dq=diffs["scaled"][0],
            dk=diffs["scaled"][1],
            dv=diffs["scaled"][2],
            off=diffs["unfactored"],
        )  # fmt: skip
    )
    show(lesson, [(_("dQ (engine)"), engine[0], 4), (_("dS K (by hand)"), hand[0], 4)])
    lesson.say(
        _("  e.g. the first entry: {c:.4f} · {hand:.4f} = {engine:.4f}").format(
            c=c, hand=hand[0][0, 0], engine=engine[0][0, 0]
        )
    )
    lesson.record(seed_check=diffs, dQ=engine[0].tolist(), dK=engine[1].tolist())
    lesson.record(dV=engine[2].tolist())

    lesson.say("")
    causal = model(causal=True)
    forward(causal)
    Ac = data(causal.weights)
    lesson.say(_("With a causal mask token i sees tokens 1..i only (decoders predict this way):"))
    show(lesson, [(_("A, causal"), Ac)])
    lesson.record(causal_A=Ac.tolist())

    multi = MultiHeadAttention(2, num_heads=2, rng=lesson.seed)
    multi(tokens())
    heads = [data(A)[0] for A in multi.weights]
    lesson.say("")
    lesson.say(
        _(
            "Multi-head attention runs several heads side by side, each on its own slice of the"
            " features.\n  {module}, token 1's weights: head 1 {one}; head 2 {two}"
        ).format(
            module="MultiHeadAttention(2, num_heads=2)",
            one=" ".join(f"{a:.3f}" for a in heads[0]),
            two=" ".join(f"{a:.3f}" for a in heads[1]),
        )
    )
    lesson.record(heads=[h.tolist() for h in heads])

    PE = np.array(positional_encoding(len(X), 2))
    plain = data(forward(head, [X[k] for k in ORDER])[4])
    placed = data(forward(head, (np.array(X) + PE).tolist())[4])
    moved = data(forward(head, (np.array(X)[ORDER] + PE).tolist())[4])
    order = {"plain": most(plain, O[ORDER]), "encoded": most(moved, placed[ORDER])}
    lesson.say("")
    lesson.say(
        _(
            "Attention ignores order: the tokens as 3, 1, 2 give the same outputs,"
            " reordered\n(max |difference| {plain:.1e})."
        ).format(plain=order["plain"])
    )
    lesson.say(_("Positional encoding adds each position p its own pattern:"))
    lesson.say("  PE[p, 2i] = sin(p/10000^(2i/d)), PE[p, 2i+1] = cos(p/10000^(2i/d))")
    show(lesson, [("PE", PE)])
    lesson.say(
        _(
            "With X + PE the order matters: reordered, the outputs differ by up to {diff:.3f}."
        ).format(diff=order["encoded"])
    )
    lesson.record(PE=PE.tolist(), order=order)

    heatmaps(
        lesson,
        "attention.png",
        [
            ("A = softmax(Q Kᵀ / √2)", A, np.zeros_like(A, bool)),
            (_("A, causal"), Ac, np.triu(np.ones_like(A, bool), 1)),
        ],
        _("Attention weights: row i, how much token i takes from each token"),
        what=_("each row sums to 1; the causal map is blank above the diagonal"),
    )
    root = build()
    lesson.pictures(
        root,
        params=parameters_of(root),
        collapse=1,
        color="grad",
        what=_("one box each for query, key, value, scores, softmax, mix and the loss"),
    )
    lesson.look_for(_("each row of A sums to 1, so each output is a weighted average of V's rows"))
    lesson.look_for(
        _("the Jacobian's rows sum to 0: softmax's gradient cannot move all weights up at once")
    )
    lesson.look_for(_("the tutorial's hand-written dQ, dK, dV equal the engine's to about 1e-16"))
    lesson.look_for(
        _("backprop.html: q11 feeds three scores, so its gradient is the sum of three (fan-out)")
    )
    lesson.look_for(
        _("attention.png: the causal map is blank above the diagonal: no token looks ahead")
    )


LESSON = Lesson(
    "self-attention",
    N_("self-attention on 3 tokens: Q, K, V, the weights A, the tutorial's backward checked"),
    run,
    build,
    title=N_("19. Self-attention"),
)
