"""Lesson 23: the same network in PyTorch: two networks trained twice, once in each library.

Run it:  chainrule run pytorch     (the PyTorch half needs pip install 'chainrule[torch]')
Look at: lesson 3's part-lifetime network and lesson 9's two-moons MLP, each trained 20 steps
by chainrule's fit and, from the same weights, by its torch twin (nn.torch_bridge.to_torch)
with torch.optim: the two loss columns agree to the last digit or two of float64, and so do
the trained networks' outputs. Then moons.json (the model file, fit's recipe inside) and
train_torch.py, the PyTorch script nn.torch_script wrote from it: run it, and it prints its
loss beside chainrule's for every epoch. losses.png draws all four curves; graph.svg and
backprop.html are the part-lifetime graph, the one torch.autograd differentiates as well.
"""

import ast
import os

import numpy as np

from autograd import Value
from nn.data import make_moons
from nn.layers import MLP
from nn.losses import mse_loss
from nn.optim import SGD
from nn.schedules import LinearLR
from nn.torch_bridge import to_torch
from nn.torch_script import torch_script
from nn.train import fit, predict
from viz.format import rpad
from viz.i18n import N_, _, pgettext
from viz.render import write_atomic

from . import lesson03_part_lifetime as lifetime
from . import lesson09_moons as moons
from . import plots
from .common import Lesson, parameters_of

STEPS = 20
SCRIPT = "train_torch.py"
MISSING_TORCH = N_(
    "the PyTorch column and train_torch.py: torch is not installed (pip install 'chainrule[torch]')"
)


def part_lifetime_model():
    """Lesson 3's 2-2-1 sigmoid network as an nn.MLP, the article's weights copied in."""
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", rng=0)
    state = {"layers.1.neurons.0.b": lifetime.B2}
    for j in range(2):  # W1's row i is input i, column j hidden unit j: neuron j's weight i
        state.update({f"layers.0.neurons.{j}.w.{i}": lifetime.W1[i][j] for i in range(2)})
        state[f"layers.0.neurons.{j}.b"] = lifetime.B1[j]
        state[f"layers.1.neurons.0.w.{j}"] = lifetime.W2[j]
    model.load_state_dict(state)
    return model


def moons_model(seed):
    """Lesson 9's MLP(2, [16, 16, 1]) with ReLU, untrained, its weights from seed 1337."""
    return MLP(2, [16, 16, 1], rng=1337 + seed)


def setups(seed):
    """Both networks, with their data and how each is trained (one dict each)."""
    X, y = make_moons(moons.N, noise=0.1, seed=seed)
    return {
        "lifetime": dict(
            model=part_lifetime_model(), X=[lifetime.X], y=[lifetime.TARGET],
            loss="mse", lr=lifetime.LR, l2=0.0, schedule=None,
        ),
        "moons": dict(
            model=moons_model(seed), X=X, y=2.0 * y - 1,
            loss="hinge", lr=1.0, l2=moons.L2, schedule=(1.0, 0.1, moons.EPOCHS),
        ),
    }  # fmt: skip


def train_chainrule(setup):
    """chainrule's fit, full batch, in order: lesson 3's SGD step or lesson 9's recipe."""
    opt = SGD(setup["model"].parameters(), lr=setup["lr"])
    schedule = setup["schedule"]
    return fit(
        setup["model"], setup["X"], setup["y"], loss=setup["loss"], optimizer=opt,
        epochs=STEPS, l2=setup["l2"], shuffle=False, verbose=False,
        scheduler=LinearLR(opt, *schedule) if schedule else None,
    )  # fmt: skip


def train_torch(twin, setup):
    """The same training in PyTorch: torch.optim.SGD, torch's LinearLR, the same loss.

    The L2 penalty is added to the loss, as fit adds it (SGD's weight_decay would give the
    same steps, but a loss without the penalty). Returns the loss of every step.
    """
    import torch

    losses = {  # torch's outputs are (N, 1) where chainrule's are one value: squeeze(1)
        "mse": torch.nn.functional.mse_loss,
        "hinge": lambda score, label: torch.relu(1 - label * score).mean(),
    }
    opt = torch.optim.SGD(twin.parameters(), lr=setup["lr"])
    schedule = setup["schedule"]
    scheduler = torch.optim.lr_scheduler.LinearLR(opt, *schedule) if schedule else None
    X = torch.tensor(np.asarray(setup["X"], float), dtype=torch.float64)
    y = torch.tensor(np.asarray(setup["y"], float), dtype=torch.float64)
    history = []
    for _step in range(STEPS):
        opt.zero_grad()
        loss = losses[setup["loss"]](twin(X).squeeze(1), y)
        if setup["l2"]:
            loss = loss + setup["l2"] * sum((p * p).sum() for p in twin.parameters())
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        history.append(loss.item())
    return history


def outputs_of(twin, X):
    """The torch twin's outputs for X, one number per example."""
    import torch

    with torch.no_grad():
        return twin(torch.tensor(np.asarray(X, float), dtype=torch.float64)).squeeze(1).numpy()


def columns(lesson, ours, theirs):
    """The loss per step: chainrule's, PyTorch's beside it and their difference (if torch)."""
    step = rpad(_("step"), 4)  # by display width: 步 takes two
    if theirs is None:
        lesson.say(f"  {step}  chainrule")
        for i, a in enumerate(ours, 1):
            lesson.say(f"  {i:>4}  {a:.15f}")
        return
    lesson.say(f"  {step}  {'chainrule':<17}  {'PyTorch':<17}  {_('difference')}")
    for i, (a, b) in enumerate(zip(ours, theirs), 1):
        shown = f"{a - b:.1e}" if a != b else "0"
        lesson.say(f"  {i:>4}  {a:.15f}  {b:.15f}  {shown}")


def build():
    """The part-lifetime network's loss at the article's weights, backpropagated."""
    model = part_lifetime_model()
    y = model([Value(v, f"x{i}") for i, v in enumerate(lifetime.X)])
    loss = mse_loss(y, Value(lifetime.TARGET, pgettext("node label", "target")))
    loss.label = "L"
    loss.backward()
    return loss


def have_torch():
    """Whether PyTorch can be imported (it is optional: the `torch` extra)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def side_by_side(lesson, setup, torch):
    """Train `setup` in chainrule and, from the same weights, in PyTorch; print both columns.

    Returns chainrule's History, PyTorch's losses (None without torch), and the trained twin.
    """
    twin = to_torch(setup["model"]) if torch else None  # before fit changes the weights
    history = train_chainrule(setup)
    theirs = train_torch(twin, setup) if torch else None
    columns(lesson, history.loss, theirs)
    return history, theirs, twin


def outputs(setup, twin):
    """The network's outputs on its data in chainrule, and in PyTorch (None without torch)."""
    ours = predict(setup["model"], setup["X"]).ravel()
    return ours, (None if twin is None else outputs_of(twin, setup["X"]))


def part_lifetime(lesson, setup, torch):
    """Lesson 3's network: its 0.867 in both libraries, 20 steps, the trained predictions."""
    num = lesson.num
    said = _(
        "Part lifetime (lesson 3): MLP(2, [2, 1]) with sigmoid and the article's weights; "
        "MSE on x = [{x0}, {x1}], target {target}; SGD, learning rate {lr}."
    )
    x0, x1 = lifetime.X
    lesson.say(said.format(x0=x0, x1=x1, target=f"{lifetime.TARGET:g}", lr=setup["lr"]))
    twin = to_torch(setup["model"]) if torch else None
    before, twin_before = outputs(setup, twin)
    history, theirs, twin = side_by_side(lesson, setup, torch)
    after, twin_after = outputs(setup, twin)
    if torch:
        said = _("  y before training: chainrule {ours}, PyTorch {theirs}; after {steps} steps: "
                 "chainrule {after}, PyTorch {twin_after}")  # fmt: skip
        shown = dict(theirs=num(twin_before[0]), twin_after=num(twin_after[0]))
    else:
        said = _("  y before training: {ours}; after {steps} steps: {after}")
        shown = {}
    lesson.say(said.format(ours=num(before[0]), after=num(after[0]), steps=STEPS, **shown))
    if torch:  # the first step's gradients, graph against graph
        from autograd.torch_replay import compare_torch

        root = build()
        weights = {id(p) for p in parameters_of(root)}
        gaps = [row.largest for row in compare_torch(root) if id(row.leaf) in weights]
        said = _(
            "  torch.autograd on the same graph (autograd.torch_replay.compare_torch): the "
            "gradients of its {n} weights and biases at step 1 differ from chainrule's by "
            "{gap:.1e} or less"
        )
        lesson.say(said.format(n=len(gaps), gap=max(gaps)))
    return dict(
        chainrule=history.loss, torch=theirs, y=[before[0], after[0]],
        twin=None if twin is None else [twin_before[0], twin_after[0]],
    )  # fmt: skip


def two_moons(lesson, setup, torch):
    """Lesson 9's network: its first 20 steps in both libraries, then the script (torch_script)
    that trains it in PyTorch, beside the model file it reads."""
    said = _(
        "Two moons (lesson 9): MLP(2, [16, 16, 1]) with ReLU, {n} points; hinge loss + "
        "{l2:g} x sum w^2; SGD, learning rate {start:g} -> {end:g} over {epochs} steps "
        "(the first {steps} here)."
    )
    start, end, epochs = setup["schedule"]
    n, l2 = len(setup["X"]), setup["l2"]
    lesson.say(said.format(n=n, l2=l2, start=start, end=end, epochs=epochs, steps=STEPS))
    history, theirs, twin = side_by_side(lesson, setup, torch)
    scores, twin_scores = outputs(setup, twin)
    gap = None
    if torch:
        gap = float(np.max(np.abs(scores - twin_scores)))
        said = _(
            "  after {steps} steps the {n} scores in the two libraries differ by {gap:.1e} or less"
        )
        lesson.say(said.format(steps=STEPS, n=n, gap=gap))
    model_file = lesson.path("moons.json")
    setup["model"].save(model_file, training=history)  # fit's recipe too: data, start, steps
    what = _("the moons network: architecture, trained weights and how nn.fit trained it")
    lesson.wrote(model_file, what)
    found = dict(chainrule=history.loss, torch=theirs, scores=scores, largest_score_difference=gap)
    return found, history, model_file


def heart(script):
    """The script's network and training loop: its build_model and train functions, as written."""
    tree = ast.parse(script)
    wanted = ("build_model", "train")
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted]
    return "\n\n".join(ast.get_source_segment(script, node) for node in found)


def write_script(lesson, model, history, model_file):
    """train_torch.py: nn.torch_script's PyTorch script for `model`, trained as `history` says."""
    path = lesson.path(SCRIPT)
    script = torch_script(model, training=history, model_file=model_file, script_name=SCRIPT)
    write_atomic(path, script)
    lesson.wrote(path, _("the PyTorch script: it rebuilds the network and trains it again"))
    lesson.say("")
    said = _(
        "The PyTorch script chainrule wrote for the moons network (nn.torch_script): it rebuilds "
        "the MLP with torch.nn, loads the starting weights from {model_file} and trains "
        "{steps} steps as nn.fit did, printing its loss beside chainrule's. Run it:"
    )
    lesson.say(said.format(model_file=os.path.basename(model_file), steps=STEPS))
    lesson.say(f"  python {path} --model {model_file}")
    lesson.say("")
    lesson.say(_("Its network and its training loop, as {script} has them:").format(script=SCRIPT))
    for line in heart(script).splitlines():
        lesson.say(f"    {line}" if line else "")
    lesson.say("")
    said = _(
        "The same script from the command line (add --ddp for the DistributedDataParallel "
        "version, where a model goes when it outgrows one machine):"
    )
    lesson.say(said)
    lesson.say(f"  chainrule export {model_file} --torch {path}")


def run(lesson):
    torch = have_torch()
    if not torch:
        lesson.skipped.append(_(MISSING_TORCH))
    both = setups(lesson.seed)
    if torch:
        said = _(
            "Two networks, each trained {steps} steps twice: by chainrule's nn.fit, and by its "
            "PyTorch twin (nn.to_torch: the same weights, in 64-bit floats) with torch.optim."
        )
    else:
        said = _(
            "Two networks, each trained {steps} steps by chainrule's nn.fit. With PyTorch "
            "installed, each is trained a second time beside it, by its PyTorch twin."
        )
    lesson.say(said.format(steps=STEPS))
    lesson.say("")
    part = part_lifetime(lesson, both["lifetime"], torch)
    lesson.say("")
    moon, history, model_file = two_moons(lesson, both["moons"], torch)
    lesson.record(lifetime=part, moons=moon)
    if torch:
        largest = max(
            float(np.max(np.abs(np.subtract(each["chainrule"], each["torch"]))))
            for each in (part, moon)
        )
        lesson.say("")
        said = _(
            "The largest difference in the loss columns: {largest:.1e}. Both compute in 64-bit "
            "floats, each rounding in its own order, so the last digit or two may differ."
        )
        lesson.say(said.format(largest=largest))
        write_script(lesson, both["moons"]["model"], history, model_file)
    series = {}
    for name, each in ((N_("part lifetime"), part), (N_("two moons"), moon)):
        series[_("{network}, chainrule").format(network=_(name))] = each["chainrule"]
        if torch:
            series[_("{network}, PyTorch").format(network=_(name))] = each["torch"]
    if torch:
        title = _("The same losses in chainrule and PyTorch")
        what = _("one line per network: each PyTorch curve (dashed) lies exactly on chainrule's")
    else:
        title = _("The losses in chainrule")
        what = _("each network's loss, step by step (chainrule's alone: torch is not installed)")
    plots.curves(
        lesson, "losses.png", series, title, xlabel=_("step"), log=True, pairs=torch, what=what
    )
    root = build()
    lesson.pictures(root, params=parameters_of(root))
    if not torch:
        lesson.look_for(
            _("the part-lifetime network starts from the article's 0.867, as in lesson 3")
        )
        return
    lesson.look_for(_("the two loss columns agree to about 1e-16: one network, two libraries"))
    lesson.look_for(
        _("PyTorch's twin starts from the article's 0.867, as lesson 3 does, and the moons "
          "network's loss falls in both libraries alike, bumps included")
    )  # fmt: skip
    said = _(
        "{script}, run, prints the moons table again: its loss beside chainrule's, epoch by epoch"
    )
    lesson.look_for(said.format(script=SCRIPT))


LESSON = Lesson(
    "pytorch",
    N_("the part-lifetime and moons networks in chainrule and PyTorch: the same losses"),
    run,
    build,
    title=N_("23. The network in PyTorch"),
)
