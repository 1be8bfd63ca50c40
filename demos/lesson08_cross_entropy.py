"""Lesson 8: cross-entropy on the three-class example, -ln 0.7 = 0.357, and why logits.

Run it:  chainrule run cross-entropy
Look at: only the true class's probability counts (-ln 0.7); a probability of exactly 0
makes log fail, so the seed clips at 1e-15; from logits the gradient is simply p - y.
Clipping has a price: nn's binary_cross_entropy clips at 1e-7, so a confidently wrong
sigmoid (logit 17, target 0) gets loss 16.1 and gradient exactly 0; the logits form gets it right.
In cross_entropy.png, see -ln p explode near 0; graph.svg is the logits version.
"""

import math

from autograd import Value, topological_order
from nn.activations import softmax
from nn.losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy
from viz.notation import partial

from . import plots
from .common import Lesson

Y_TRUE = [0, 1, 0]
Y_PRED = [0.2, 0.7, 0.1]
CLIP = 1e-15  # the seed's choice


def from_probabilities(y_true, y_pred):
    """-sum_k y_k ln p_k on Values, so backward gives ∂CE/∂p_k = -y_k / p_k."""
    p = [Value(v, f"p{k}") for k, v in enumerate(y_pred)]
    terms = [-(t * q.log()) for t, q in zip(y_true, p) if t]
    ce = terms[0]
    for term in terms[1:]:
        ce = ce + term
    ce.label = "CE"
    return ce, p


def build():
    """Cross-entropy from the logits ln p (softmax gives the same p back), true class 1."""
    logits = [Value(math.log(v), f"z{k}") for k, v in enumerate(Y_PRED)]
    loss = cross_entropy(logits, 1)
    loss.label = "CE"
    return loss


def run(lesson):
    num = lesson.num
    lesson.say(f"y_true = {Y_TRUE} (one-hot: class 1),  y_pred = {Y_PRED}")
    ce, p = from_probabilities(Y_TRUE, Y_PRED)
    ce.backward()
    lesson.say("CE = -sum_k y_k ln p_k: the zeros in y_true drop two terms, so")
    lesson.say(f"  CE = -ln 0.7 = {ce.data:.3f}   (engine: {num(ce.data)})")
    lesson.say(
        f"  {partial('CE', 'p1')} = -1/0.7 = {num(p[1].grad)};"
        f"  {partial('CE', 'p0')} = {num(p[0].grad)} (no term)"
    )

    lesson.say("")
    lesson.say("Why clip: a confident wrong answer puts probability 0 on the true class.")
    try:
        from_probabilities(Y_TRUE, [0.5, 0.0, 0.5])
        failed = "no error"
    except ValueError as err:
        failed = str(err)
    lesson.say(f"  p1 = 0 -> {failed}")
    clipped, _ = from_probabilities(Y_TRUE, [0.5, min(max(0.0, CLIP), 1 - CLIP), 0.5])
    lesson.say(f"  clipped at {CLIP:g}: CE = -ln 1e-15 = {clipped.data:.2f} (huge, but finite)")
    lesson.say("The price of clipping: nn's binary_cross_entropy clips p into [1e-7, 1 - 1e-7].")
    bce = {}
    for name, loss_fn, of in (
        ("BCE(sigmoid(z))", binary_cross_entropy, Value.sigmoid),
        ("BCE from the logit", binary_cross_entropy_with_logits, lambda z: z),
    ):
        z = Value(17.0, "z")
        wrong = loss_fn(of(z), 0.0)  # confidently class 1, truly class 0
        wrong.backward()
        bce[name] = (wrong.data, z.grad)
        lesson.say(
            f"  z = 17, y = 0: {name} = {wrong.data:.3f}, {partial('loss', 'z')} = {z.grad:.3f}"
        )
    lesson.say(
        f"  clipped, the loss is -ln 1e-7 = {-math.log(1e-7):.3f} (not 17) and the gradient"
        " exactly 0: the worst mistake teaches nothing."
    )
    lesson.say(
        '  Give the logit to binary_cross_entropy_with_logits (in fit: loss="bce_with_logits").'
    )

    lesson.say("")
    lesson.say("Better: keep the network's raw scores (logits) and use a stable log-softmax.")
    loss = build()
    loss.backward()
    leaves = [n for n in topological_order(loss) if not n.inputs and n.label.startswith("z")]
    logits = sorted(leaves, key=lambda n: n.label)
    probs = [q.data for q in softmax([Value(z.data) for z in logits])]
    lesson.say(f"  logits z = ln p = [{', '.join(num(z.data) for z in logits)}]")
    lesson.say(f"  softmax(z) = [{', '.join(f'{q:.3f}' for q in probs)}] (the same p)")
    lesson.say(f"  CE from logits = {loss.data:.3f}")
    grads = [z.grad for z in logits]
    lesson.say(
        f"  {partial('CE', 'z')} = softmax(z) - y = [{', '.join(f'{g:.3f}' for g in grads)}]"
        "  (no division by p anywhere)"
    )
    big = [Value(1000.0, "z0"), Value(0.0, "z1"), Value(-1000.0, "z2")]
    naive = big[0].exp() / (big[0].exp() + big[1].exp() + big[2].exp())
    stable = cross_entropy(big, 1)
    lesson.say(f"  logits [1000, 0, -1000]: naive softmax e^1000 / (...) = {naive.data}")
    lesson.say(f"  stable log-softmax: CE = {num(stable.data)} (it is exactly 1000)")
    lesson.record(
        ce=ce.data,
        d_p1=p[1].grad,
        clipped=clipped.data,
        ce_logits=loss.data,
        d_logits=grads,
        ce_big=stable.data,
        log_zero_error=failed,
        bce_clipped=bce["BCE(sigmoid(z))"],
        bce_logits=bce["BCE from the logit"],
    )

    xs = [k / 400 for k in range(1, 401)]
    plots.lines(
        lesson,
        "cross_entropy.png",
        xs,
        {"-ln p": [-math.log(x) for x in xs]},
        "Cross-entropy of the true class: -ln p",
        xlabel="p, the probability given to the true class",
        ylabel="loss",
        marks=[(0.7, -math.log(0.7), "p = 0.7: loss 0.357")],
        what="the loss -ln p: gentle near 1, exploding near 0",
    )
    lesson.pictures(loss)
    lesson.look_for("CE = 0.357 = -ln 0.7: only the true class's probability enters")
    lesson.look_for("in graph.svg the logits' gradients are p - y: 0.2, -0.3, 0.1")


LESSON = Lesson(
    "cross-entropy",
    "three classes, -ln 0.7 = 0.357; clipping, and logits instead",
    run,
    build,
    title="8. Cross-entropy",
)
