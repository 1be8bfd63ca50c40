"""Lesson 20: a tiny Transformer learns to reverse four tokens.

Run it:  chainrule run transformer
Look at: one Transformer block (attention, then a feed-forward network, each behind a layer
norm and a residual connection) between a token embedding and a Linear to the vocabulary,
trained with cross-entropy to turn A B C D into D C B A. It reaches 100% on the 56
sequences it never saw. Without the positional encoding it cannot: attention ignores order,
and the lesson shows two sequences it must then answer alike. attention.png: for reversal,
position p reads position 5 - p, so the weights form the anti-diagonal. graph.svg: the block
on 2 tokens of 3 features, each part folded to one box; backprop.html steps through it all.
"""

import itertools

import numpy as np

from autograd import Tape, Value, no_grad, scope
from nn.attention import Projection, positional_encoding
from nn.losses import cross_entropy
from nn.module import Module
from nn.optim import Adam
from nn.transformer import TransformerBlock
from viz.format import pad, rpad, width
from viz.i18n import N_, _

from . import plots
from .common import Lesson

TOKENS = "ABCD"  # the vocabulary
LENGTH, DIM, HEADS, FF = 4, 8, 2, 16
HELD_OUT = 56  # of the 4^4 = 256 sequences; the other 200 train
LR = 0.01
STEPS, SMALL_STEPS = 150, 60  # every seed tried (0-5) reaches 100% held out in 100 steps
REPORT_EVERY = 25
SAME_SET = ("ABAB", "ABBA")
PICTURED = (
    3  # features per token in graph.svg's block  # the same tokens, and A at position 1 in both
)


class Reverser(Module):
    """Token embedding (+ positional encoding), one Transformer block, scores per position.

    Input: the sequence as LENGTH one-hot groups of len(TOKENS) features, one flat list (a
    Value per feature, each holding a batch), the way nn.fit feeds features. Output: for each
    position a list of len(TOKENS) scores (logits), for cross-entropy.
    """

    def __init__(self, positions=True, rng=0):
        vocab = len(TOKENS)
        self.embed = Projection(vocab, DIM, rng=rng)  # one-hot in: column t of W, plus b
        self.block = TransformerBlock(DIM, HEADS, FF, rng=rng)
        self.head = Projection(DIM, vocab, rng=rng)
        self.embed.name, self.block.name, self.head.name = "embed", "block", "head"
        self.positions = positional_encoding(LENGTH, DIM) if positions else None
        self.tag_parameters()

    def forward(self, x):
        """x: LENGTH * len(TOKENS) one-hot features -> LENGTH lists of len(TOKENS) scores."""
        v = len(TOKENS)
        tokens = [self.embed(x[p * v : (p + 1) * v]) for p in range(LENGTH)]
        if self.positions is not None:
            with scope("position"):  # x_p = embedding + PE[p]
                tokens = [[e + c for e, c in zip(t, pe)] for t, pe in zip(tokens, self.positions)]
        return [self.head(t) for t in self.block(tokens)]


def one_hot(sequences):
    """(n, LENGTH) token numbers -> (n, LENGTH * len(TOKENS)) one-hot rows."""
    eye = np.eye(len(TOKENS))
    return eye[sequences].reshape(len(sequences), -1)


def spelled(sequence):
    """[1, 3, 0, 2] -> 'B D A C'."""
    return " ".join(TOKENS[t] for t in sequence)


def loss_of(model, xs, targets):
    """Cross-entropy averaged over the positions and the examples (one-hot target Values)."""
    v = len(TOKENS)
    return cross_entropy(model(xs), [targets[p * v : (p + 1) * v] for p in range(LENGTH)])


def train(model, X, Y, steps):
    """Full-batch Adam on a tape: the batched graph recorded once, replayed every step.

    nn.fit's losses score one list of outputs per example; here each position has its own
    softmax, so this loop runs the tape itself, as fit does inside: the parameters' numbers
    stay in one array between steps and go back to the model at the end. Returns the loss
    of each step (before that step's update).
    """
    params = model.parameters()
    xs, ys = [Value(c) for c in X.T], [Value(c) for c in Y.T]
    tape = Tape(loss_of(model, xs, ys), xs + ys, params)  # the graph does not depend on data
    optimizer = Adam(params, lr=LR)
    data = np.array([p.data for p in params])
    inputs = np.concatenate([X.T, Y.T])
    losses = []
    for _step in range(steps):
        losses.append(tape.run(inputs, data))
        data = optimizer.step_arrays(tape.grads, data)
    for p, number in zip(params, data.tolist()):
        p.data = number
    return losses


def predict(model, sequences):
    """The model's tokens for each sequence (n, LENGTH), and its scores (n, LENGTH, vocab)."""
    with no_grad():
        out = model([Value(c) for c in one_hot(sequences).T])
    scores = np.stack([np.stack([s.data for s in position], axis=1) for position in out], axis=1)
    return scores.argmax(axis=2), scores


def accuracy(model, sequences):
    """(per token, per sequence): the share of right tokens, and of sequences right in full."""
    right = predict(model, sequences)[0] == sequences[:, ::-1]
    return float(right.mean()), float(right.all(axis=1).mean())


def weights_of(model, sequences):
    """The attention weights per head for each sequence: (heads, n, query, key)."""
    with no_grad():
        model([Value(c) for c in one_hot(sequences).T])
    heads = model.block.attention.weights
    return np.array([[[np.broadcast_to(a.data, len(sequences)) for a in row] for row in A]
                     for A in heads]).transpose(0, 3, 1, 2)  # fmt: skip


def mirror_weight(weights):
    """Per head, the mean weight position p gives position LENGTH + 1 - p (the anti-diagonal)."""
    p = np.arange(LENGTH)
    return weights[:, :, p, LENGTH - 1 - p].mean(axis=(1, 2))


def percent(x):
    return f"{100 * x:.1f}%"


def pictured():
    """The block alone on 2 tokens of 3 features, and L = mean (y - swapped x)^2 (backward run).

    Swapping is reversal at length 2. One head, feed-forward width 3: about 520 nodes, few
    enough to step through one by one. (Not 2 features: a layer norm of 2 numbers is always
    -1 and 1, whatever they are, so no gradient would pass through it.)
    """
    block = TransformerBlock(PICTURED, 1, PICTURED, rng=0)
    numbers = [[1.0, -0.5, 0.25], [0.5, 0.75, -1.0]]
    x = [[Value(v, f"x{t + 1}{i + 1}") for i, v in enumerate(row)] for t, row in enumerate(numbers)]
    y = block(x)
    for t, out in enumerate(y):
        for i, o in enumerate(out):
            o.label = f"y{t + 1}{i + 1}"
            o.inputs[0].label = f"h{t + 1}{i + 1}"  # y = h + ff(norm2(h)): h in the middle
    with scope("loss"):  # the target: the tokens swapped, t1 = x2 and t2 = x1
        targets = [[Value(v, f"t{t + 1}{i + 1}") for i, v in enumerate(row)]
                   for t, row in enumerate(numbers[::-1])]  # fmt: skip
        squares = [(o - t) ** 2 for out, row in zip(y, targets) for o, t in zip(out, row)]
        loss = sum(squares[1:], squares[0]) / Value(len(squares), "n")  # the mean
    loss.label = "L"
    loss.backward()
    return block, loss


def build():
    """pictured()'s graph: the block on 2 tokens, for the player."""
    return pictured()[1]


def table(lesson, heads, labels):
    """Print each head's weights: a row per looking position, a column per position looked at."""
    column = max(width(label) for label in labels) + 2
    for h, A in enumerate(heads, 1):
        lesson.say(_("  head {h}:").format(h=h))
        lesson.say("    " + " " * column + "".join(rpad(label, 7) for label in labels))
        for label, row in zip(labels, A):
            lesson.say("    " + pad(label, column) + "".join(f"{a:7.2f}" for a in row))


def heatmaps(lesson, heads, labels, title):
    """attention.png: a heatmap per head, the weight written in each cell."""
    what = _("each head's weights; reversal: the dark cells run along the anti-diagonal")
    plt = plots._pyplot(lesson, what)
    if plt is None:
        return None
    fig, axes = plt.subplots(1, len(heads), figsize=(4.4 * len(heads), 4.4), squeeze=False)
    for h, (ax, A) in enumerate(zip(axes.ravel(), heads), 1):
        ax.imshow(A, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.grid(False)
        for (i, j), a in np.ndenumerate(A):
            colour = "white" if a > 0.5 else "black"
            ax.text(j, i, f"{a:.2f}", ha="center", va="center", color=colour, fontsize=10)
        ax.set(
            title=_("head {h}").format(h=h),
            xlabel=_("position looked at"),
            ylabel=_("position looking"),
            xticks=range(len(labels)),
            yticks=range(len(labels)),
            xticklabels=labels,
            yticklabels=labels,
        )
    fig.suptitle(title)
    return plots._save(lesson, plt, fig, "attention.png", what)


def run(lesson):
    rng = np.random.default_rng(lesson.seed)
    every = np.array(list(itertools.product(range(len(TOKENS)), repeat=LENGTH)))
    order = rng.permutation(len(every))
    held, seen = every[order[:HELD_OUT]], every[order[HELD_OUT:]]
    steps = SMALL_STEPS if lesson.small else STEPS
    lesson.say(
        _("Task: reverse {n} tokens from the vocabulary {tokens}, e.g. {a} -> {b}.").format(
            n=LENGTH, tokens=spelled(range(len(TOKENS))), a="A B C D", b="D C B A"
        )
    )
    lesson.say(
        _("All {total} sequences: {train} to train on, {held} held out (never trained on).").format(
            total=len(every), train=len(seen), held=len(held)
        )
    )

    model = Reverser(rng=lesson.seed)
    counts = {name: len(getattr(model, name).parameters()) for name in ("embed", "block", "head")}
    lesson.say("")
    lesson.say(_("The model, at each position:"))
    lesson.say(
        _("  token embedding: the one-hot token ({v} numbers) -> Linear -> {d} features").format(
            v=len(TOKENS), d=DIM
        )
    )
    sin, cos = (
        f"PE[t][{i}] = {f}(t / 10000^(2i/{DIM}))" for i, f in (("2i", "sin"), ("2i+1", "cos"))
    )
    lesson.say(_("  + positional encoding: {sin},").format(sin=sin))
    lesson.say(_("    {cos}, row t added at position t + 1").format(cos=cos))
    lesson.say(
        _(
            "  one Transformer block: `x + attention(norm1(x))` ({heads} heads of {hd} features),"
        ).format(heads=HEADS, hd=DIM // HEADS)
    )
    lesson.say(
        _("    then `x + ff(norm2(x))` (Linear {d} -> {ff}, ReLU, Linear {ff} -> {d})").format(
            d=DIM, ff=FF
        )
    )
    lesson.say(_("    (`norm1`, `norm2`: layer norms; each `x + ...`: a residual connection)"))
    lesson.say(
        _("  Linear {d} -> {v}: a score for each token of the vocabulary").format(
            d=DIM, v=len(TOKENS)
        )
    )
    lesson.say(
        _("  loss: cross-entropy, averaged over the {n} positions and the examples").format(
            n=LENGTH
        )
    )
    lesson.say(
        _("  {total} parameters: embedding {embed}, block {block}, output {head}.").format(
            total=sum(counts.values()), **counts
        )
    )
    lesson.record(parameters=counts)

    pe = positional_encoding(LENGTH, DIM)
    lesson.say("")
    lesson.say(_("The positional encoding, the first 4 of its {d} numbers:").format(d=DIM))
    for p, row in enumerate(pe, 1):
        said = _("  position {p}:").format(p=p)
        lesson.say(said + "".join(f"{x:8.3f}" for x in row[:4]))
    lesson.record(positional_encoding=pe)

    lesson.say("")
    lesson.say(
        _(
            "Training: Adam, learning rate {lr:g}, {steps} steps on all {n} at once\n"
            "(the graph is recorded once on a tape and replayed each step):"
        ).format(lr=LR, steps=steps, n=len(seen))
    )
    X, Y = one_hot(seen), one_hot(seen[:, ::-1])
    losses = train(model, X, Y, steps)
    for step in sorted({1, *range(REPORT_EVERY, steps + 1, REPORT_EVERY), steps}):
        lesson.say(_("  step {step:>3}: loss {loss:.3g}").format(step=step, loss=losses[step - 1]))
    results = {"train": accuracy(model, seen), "held_out": accuracy(model, held)}
    rows = {_("train"): results["train"], _("held out"): results["held_out"]}
    head_words = (_("per token"), _("per sequence"))
    column = max(width(name) for name in rows) + 4
    lesson.say("")
    lesson.say(pad(_("Accuracy"), column) + "".join(rpad(word, 14) for word in head_words))
    for name, (token, sequence) in rows.items():
        lesson.say(
            pad("  " + name, column) + rpad(percent(token), 14) + rpad(percent(sequence), 14)
        )
    lesson.record(losses=losses, accuracy=results)

    plain = Reverser(positions=False, rng=lesson.seed)
    plain_losses = train(plain, X, Y, steps)
    plain_results = {"train": accuracy(plain, seen), "held_out": accuracy(plain, held)}
    lesson.say("")
    lesson.say(_("Without the positional encoding (the same model and training):"))
    for name, key in ((_("train"), "train"), (_("held out"), "held_out")):
        token, sequence = plain_results[key]
        lesson.say(
            _("  {name}: {token} per token, {sequence} per sequence").format(
                name=name, token=percent(token), sequence=percent(sequence)
            )
        )
    pair = np.array([[TOKENS.index(c) for c in s] for s in SAME_SET])
    answers, scores = predict(plain, pair)
    gap = float(np.abs(scores[0, 0] - scores[1, 0]).max())
    lesson.say(
        _(
            "Attention ignores order: {a} and {b} hold the same tokens, and A at position 1,\n"
            "so without positions, position 1 computes the same sum in both, in another order.\n"
            "The model answers {x} and {y} there (its scores differ by {gap:.1g}: rounding);\n"
            "the right answers are {ra} and {rb}: one of the two must be wrong."
        ).format(
            a=spelled(pair[0]),
            b=spelled(pair[1]),
            x=TOKENS[answers[0, 0]],
            y=TOKENS[answers[1, 0]],
            gap=gap,
            ra=TOKENS[pair[0, -1]],
            rb=TOKENS[pair[1, -1]],
        )
    )
    lesson.record(
        plain_losses=plain_losses, plain_accuracy=plain_results, same_set_gap=gap,
        same_set_answers=[TOKENS[answers[0, 0]], TOKENS[answers[1, 0]]],
    )  # fmt: skip

    distinct = [s for s in held if len(set(s)) == LENGTH]  # four different tokens read best
    example = (distinct or held)[0]
    heads = weights_of(model, example[None])[:, 0]
    labels = [f"{p} {TOKENS[t]}" for p, t in enumerate(example, 1)]
    lesson.say("")
    lesson.say(
        _(
            "Attention weights for the held-out {x} -> {y}\n"
            "(a row per position looking, a column per position looked at; each row sums to 1):"
        ).format(x=spelled(example), y=spelled(example[::-1]))
    )
    table(lesson, heads, labels)
    mirror = mirror_weight(weights_of(model, held))
    lesson.say(
        _("Mean weight position p gives position {m} - p, over the held-out set: {weights}").format(
            m=LENGTH + 1,
            # TRANSLATORS: between the heads' numbers, "head 1 0.84, head 2 0.92"
            weights=_(", ").join(
                _("head {h} {w:.2f}").format(h=h, w=w) for h, w in enumerate(mirror, 1)
            ),
        )
    )
    lesson.say(
        _("Reversing means position p must read position {m} - p: the anti-diagonal.").format(
            m=LENGTH + 1
        )
    )
    lesson.record(example=spelled(example), weights=heads.tolist(), mirror=mirror.tolist())

    plots.curves(
        lesson,
        "loss.png",
        {_("with positional encoding"): losses, _("without positional encoding"): plain_losses},
        _("Reversing 4 tokens: cross-entropy per step"),
        xlabel=_("step"),
        log=True,
        what=_("with positions the loss falls towards 0; without, it stays high"),
    )
    heatmaps(
        lesson,
        heads,
        labels,
        _("Attention weights: {x} -> {y}").format(x=spelled(example), y=spelled(example[::-1])),
    )
    block, root = pictured()
    lesson.pictures(
        root,
        params=block.parameters(),
        collapse=1,
        what=_(
            "the block on 2 tokens of {d} features, its parts folded: `norm1`, `attention`, ..."
        ).format(d=PICTURED),
    )
    lesson.look_for(
        _("attention.png: in each row one cell holds most of the weight, on the anti-diagonal")
    )
    lesson.look_for(_("loss.png: without positional encoding the loss stops falling far above 0"))
    lesson.look_for(
        _(
            "graph.svg: x11 goes straight to a +, and through `norm1` and `attention` to the same "
            "+: a residual connection"
        )
    )
    lesson.look_for(
        _(
            "backprop.html: in `attention` the score s12 reaches both weights of its row, a12 "
            "directly and a11 through the softmax's shared sum: its gradient gathers from both"
        )
    )


LESSON = Lesson(
    "transformer",
    N_("a tiny Transformer block learns to reverse 4 tokens; its attention is the anti-diagonal"),
    run,
    build,
    title=N_("20. A tiny Transformer"),
)
