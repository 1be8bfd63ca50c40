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
from viz.i18n import N_, _
from viz.notation import partial

from . import plots
from .common import Lesson

Y_TRUE = [0, 1, 0]
Y_PRED = [0.2, 0.7, 0.1]
CLIP = 1e-15  # the seed's choice
# autograd's refusal of log(0.0): library errors are in English, but a student reads this one
REFUSED = N_("log(0.0): input must be > 0")


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
    # TRANSLATORS: {y_true} and {y_pred} are the equations y_true = [0, 1, 0], y_pred = [...]
    lesson.say(
        _("{y_true} (one-hot: class 1),  {y_pred}").format(
            y_true=f"y_true = {Y_TRUE}", y_pred=f"y_pred = {Y_PRED}"
        )
    )
    ce, p = from_probabilities(Y_TRUE, Y_PRED)
    ce.backward()
    lesson.say(
        _("{formula}: the zeros in {y_true} drop two terms, so").format(
            formula="CE = -sum_k y_k ln p_k", y_true="y_true"
        )
    )
    lesson.say(
        _("  CE = -ln 0.7 = {ce:.3f}   (engine: {engine})").format(ce=ce.data, engine=num(ce.data))
    )
    lesson.say(
        _("  {d_p1} = -1/0.7 = {g1};  {d_p0} = {g0} (no term)").format(
            d_p1=partial("CE", "p1"), g1=num(p[1].grad), d_p0=partial("CE", "p0"), g0=num(p[0].grad)
        )
    )

    lesson.say("")
    lesson.say(_("Why clip: a confident wrong answer puts probability 0 on the true class."))
    try:
        from_probabilities(Y_TRUE, [0.5, 0.0, 0.5])
        failed = "no error"
    except ValueError as err:
        failed = str(err)
    # TRANSLATORS: {error} is the engine's message: log(0.0): input must be > 0
    lesson.say(_("  p1 = 0 -> {error}").format(error=_(REFUSED) if failed == REFUSED else failed))
    clipped, _p = from_probabilities(Y_TRUE, [0.5, min(max(0.0, CLIP), 1 - CLIP), 0.5])
    lesson.say(
        _("  clipped at {clip:g}: CE = -ln 1e-15 = {ce:.2f} (huge, but finite)").format(
            clip=CLIP, ce=clipped.data
        )
    )
    lesson.say(
        _("The price of clipping: nn's {function} clips p into [1e-7, 1 - 1e-7].").format(
            function="binary_cross_entropy"
        )
    )
    bce = {}
    for name, shown, loss_fn, of in (
        ("BCE(sigmoid(z))", "BCE(sigmoid(z))", binary_cross_entropy, Value.sigmoid),
        (
            "BCE from the logit",
            _("BCE from the logit"),
            binary_cross_entropy_with_logits,
            lambda z: z,
        ),
    ):
        z = Value(17.0, "z")
        wrong = loss_fn(of(z), 0.0)  # confidently class 1, truly class 0
        wrong.backward()
        bce[name] = (wrong.data, z.grad)
        lesson.say(
            f"  z = 17, y = 0: {shown} = {wrong.data:.3f}, {partial('loss', 'z')} = {z.grad:.3f}"
        )
    lesson.say(
        _(
            "  clipped, the loss is -ln 1e-7 = {loss:.3f} (not 17) and the gradient exactly 0:"
            " the worst mistake teaches nothing."
        ).format(loss=-math.log(1e-7))
    )
    # TRANSLATORS: {function} and {option} are code; {fit} is the function fit
    lesson.say(
        _("  Give the logit to {function} (in {fit}: {option}).").format(
            function="binary_cross_entropy_with_logits", fit="fit", option='loss="bce_with_logits"'
        )
    )

    lesson.say("")
    lesson.say(_("Better: keep the network's raw scores (logits) and use a stable log-softmax."))
    loss = build()
    loss.backward()
    leaves = [n for n in topological_order(loss) if not n.inputs and n.label.startswith("z")]
    logits = sorted(leaves, key=lambda n: n.label)
    probs = [q.data for q in softmax([Value(z.data) for z in logits])]
    lesson.say(
        _("  logits z = ln p = [{values}]").format(values=", ".join(num(z.data) for z in logits))
    )
    lesson.say(
        _("  softmax(z) = [{values}] (the same p)").format(
            values=", ".join(f"{q:.3f}" for q in probs)
        )
    )
    lesson.say(_("  CE from logits = {ce:.3f}").format(ce=loss.data))
    grads = [z.grad for z in logits]
    lesson.say(
        _("  {d_z} = softmax(z) - y = [{values}]  (no division by p anywhere)").format(
            d_z=partial("CE", "z"), values=", ".join(f"{g:.3f}" for g in grads)
        )
    )
    big = [Value(1000.0, "z0"), Value(0.0, "z1"), Value(-1000.0, "z2")]
    naive = big[0].exp() / (big[0].exp() + big[1].exp() + big[2].exp())
    stable = cross_entropy(big, 1)
    lesson.say(
        _("  logits [1000, 0, -1000]: naive softmax e^1000 / (...) = {value}").format(
            value=naive.data
        )
    )
    lesson.say(
        _("  stable log-softmax: CE = {ce} (it is exactly 1000)").format(ce=num(stable.data))
    )
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
        _("Cross-entropy of the true class: -ln p"),
        xlabel=_("p, the probability given to the true class"),
        ylabel=_("loss"),
        marks=[(0.7, -math.log(0.7), _("p = 0.7: loss 0.357"))],
        what=_("the loss -ln p: gentle near 1, exploding near 0"),
    )
    lesson.pictures(loss)
    lesson.look_for(_("CE = 0.357 = -ln 0.7: only the true class's probability enters"))
    lesson.look_for(_("in graph.svg the logits' gradients are p - y: 0.2, -0.3, 0.1"))


LESSON = Lesson(
    "cross-entropy",
    N_("three classes, -ln 0.7 = 0.357; clipping, and logits instead"),
    run,
    build,
    title=N_("8. Cross-entropy"),
)
