"""The training loop: forward, loss, zero_grad, backward, step, over epochs of batches.

`fit` records loss and accuracy per epoch (and on held-out data when given), shows tqdm's
progress bar, and stops with the step number the moment the loss turns NaN or infinite. Only
`_forward` and `_targets` know whether examples go one at a time or as one batched Value.
Batched steps replay a recorded graph (autograd.tape) where that gives eager mode's numbers,
kept for the model's next fit call while nothing that decides the graph changes (_graph_key).
"""

import contextlib
import gc
import math
import numbers
import sys
import time
import types
import weakref
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm  # a widget in Jupyter (with ipywidgets), else the text bar

from autograd import Value, no_grad, topological_order
from autograd.tape import Tape

from .data import DataLoader
from .layers import Dropout
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from .module import Module
from .norm import BatchNorm1d
from .optim import SGD, Adam, Optimizer, RMSprop, _check, clip_grad_norm_
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, StepLR


def _argmax(out, y):
    labels = y.argmax(axis=1) if y.ndim == 2 else y  # one-hot rows, or class indices
    return float(np.mean(out.argmax(axis=1) == labels))


def _sign(out, y):
    return float(np.mean((out > 0) == (y > 0)))


def _half(out, y):
    return float(np.mean((out >= 0.5) == (y >= 0.5)))


def _zero(out, y):
    return float(np.mean((out >= 0) == (y >= 0.5)))


def _nearest(out, y):
    return float(np.mean(np.abs(out - y) < 0.5))


# name: (loss function, accuracy on numpy outputs and targets: which answer counts as right)
LOSSES = {
    "mse": (mse_loss, _nearest),  # within 0.5 of the target
    "bce": (binary_cross_entropy, _half),  # probability >= 0.5 means class 1
    "bce_with_logits": (binary_cross_entropy_with_logits, _zero),  # logit >= 0 means class 1
    "cross_entropy": (cross_entropy, _argmax),  # the largest logit is the class
    "categorical_cross_entropy": (categorical_cross_entropy, _argmax),  # from probabilities
    "hinge": (hinge_loss, _sign),  # the score's sign is the label (-1 or +1)
}


def _check_targets(loss, y):
    """Catch the label mix-ups a student makes most: 0/1 labels for hinge, float class labels."""
    if loss == "hinge" and not np.isin(y, (-1, 1)).all():
        found = sorted(set(np.unique(y).tolist()))[:5]
        raise ValueError(f"fit: hinge loss needs labels -1 and +1, got {found} (try 2 * y - 1)")
    if loss in ("cross_entropy", "categorical_cross_entropy") and y.ndim == 1:
        if y.dtype.kind == "f" and np.array_equal(y, np.round(y)):
            y = y.astype(int)  # whole-number floats: class indices
        if y.dtype.kind not in "iu":
            raise ValueError(f"fit: {loss} needs whole-number class labels, got {y.dtype} {y[:5]}")
    return y


def _data(where, X, y, loss, of=""):
    """(X, y) as arrays, refusing NaN or infinite numbers (named by row and column) up front."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    for what, a in ((f"{of}X", X), (f"{of}y", y)):
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            at = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            count = int(np.count_nonzero(~np.isfinite(a)))
            cell = f"row {at[0]}" + (f", column {at[1]}" if len(at) > 1 else "")
            raise ValueError(
                f"{where}: the data has {a[at]} in {what} at {cell} ({count} value"
                f"{'s' if count > 1 else ''} not finite); the data is the problem, not the "
                "learning rate: drop or fill those examples first"
            )
    return X, _check_targets(loss, y)


def _validation(validation_data, X, y, loss):
    """validation_data as arrays shaped like the training data, or a clear error before epoch 1."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError(f"fit: validation_data must be a pair (X, y), got {validation_data!r}")
    Xv, yv = _data("fit", *validation_data, loss, of="validation ")
    if Xv.shape[1:] != X.shape[1:] or len(Xv) != len(yv) or yv.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"fit: validation_data has X of shape {Xv.shape} and y of shape {yv.shape}; "
            f"training has {X.shape} and {y.shape}: they must match but for the row count"
        )
    return Xv, yv


def _check_setup(model, optimizer, scheduler, clip_grad_norm):
    """The fit's parts, checked before anything trains: each error says what was expected."""
    methods = all(callable(getattr(optimizer, m, None)) for m in ("step", "zero_grad"))
    if not methods or not hasattr(optimizer, "lr"):
        raise TypeError(f"fit: optimizer must be an optimiser (nn.SGD, nn.Adam), got {optimizer!r}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(
            "fit: scheduler must be None or a schedule with step() "
            f"(e.g. nn.schedules.StepLR(optimizer, 10)), got {scheduler!r}"
        )
    if clip_grad_norm is not None:
        _check("fit", "clip_grad_norm", clip_grad_norm, 0.0, math.inf)
    if not all(map(math.isfinite, (p.data for p in model.parameters()))):
        # else the first step's NaN loss would blame the learning rate
        named = model.named_parameters()
        broken = [f"{n} = {p.data}" for n, p in named if not math.isfinite(p.data)]
        raise ValueError(
            f"fit: the model has parameters that are not finite: {', '.join(broken[:3])}"
        )


def _in_jupyter():
    """Whether this runs in a Jupyter kernel, tested as tqdm.autonotebook does: its output is
    never a terminal, but a person is watching it."""
    return "ipykernel.zmqshell" in sys.modules or "IPython.utils._process_emscripten" in sys.modules


def _progress_bar(verbose, steps, stream):
    """tqdm's bar over fit's steps. verbose None: on a terminal or in Jupyter, else silent."""
    if verbose is None:
        disable = False if _in_jupyter() else None  # tqdm's None: only if stream.isatty()
    else:
        disable = not verbose
    return tqdm(total=steps, file=stream, disable=disable, unit="step")


def _postfix(epoch, epochs, loss, accuracy):
    """The numbers shown after the bar, in this order: epoch 3/10, mean loss, accuracy."""
    shown = {"epoch": f"{epoch}/{epochs}", "loss": f"{loss:.4f}"}
    if accuracy is not None:
        shown["acc"] = f"{accuracy:.1%}"
    return shown


def _loss_and_metric(loss, metric):
    if isinstance(loss, str):
        try:
            loss_fn, default = LOSSES[loss]
        except KeyError:
            allowed = ", ".join(repr(k) for k in LOSSES)
            raise ValueError(f"fit: unknown loss {loss!r}; choose one of {allowed}") from None
    elif callable(loss):
        loss_fn, default = loss, None
    else:
        raise TypeError(f"fit: loss must be a name or a function (pred, target), got {loss!r}")
    if metric == "auto":
        metric = default
    elif metric is not None and not callable(metric):
        raise TypeError(f"fit: metric must be 'auto', None or a function, got {metric!r}")
    return loss_fn, metric


@dataclass
class History:
    """Per-epoch records of a fit: loss, accuracy, validation ones, learning rate, seconds."""

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    steps: int = 0
    # How to redo this fit elsewhere (nn.torch_script writes it as a PyTorch loop): a plain,
    # JSON-able dict (see _recipe), or None with the reason in recipe_missing.
    recipe: dict = field(default=None, repr=False)
    recipe_missing: str = None


class DivergedError(FloatingPointError):
    """The loss became NaN or infinite: `.step`, `.epoch` and `.history` tell when and how."""

    def __init__(self, message, step, epoch, history):
        super().__init__(message)
        self.step, self.epoch, self.history = step, epoch, history


# What a recipe says of each optimiser and schedule nn has: {class: its settings}, read from
# the instance; anything else (a subclass, an optimiser of one's own) makes no recipe.
_OPTIMISERS = {
    SGD: lambda o: {"momentum": o.momentum, "nesterov": o.nesterov, "weight_decay": o.weight_decay},
    Adam: lambda o: {"betas": [o.beta1, o.beta2], "eps": o.eps, "weight_decay": o.weight_decay},
    RMSprop: lambda o: {"alpha": o.alpha, "eps": o.eps, "weight_decay": o.weight_decay},
}
_SCHEDULES = {
    StepLR: lambda s: {"step_size": s.step_size, "gamma": s.gamma},
    ExponentialLR: lambda s: {"gamma": s.gamma},
    CosineAnnealingLR: lambda s: {"T_max": s.T_max, "eta_min": s.eta_min},
    LinearLR: lambda s: {"start_factor": s.start, "end_factor": s.end, "total_iters": s.total},
}


def _fresh(optimizer):
    """Whether the optimiser has taken no step yet (a fresh torch one then takes the same)."""
    if isinstance(optimizer, SGD):
        return optimizer.velocity is None
    if isinstance(optimizer, Adam):
        return optimizer.t == 0
    return not optimizer.v.any()  # RMSprop: its running mean of g^2 starts at 0


def _recipe(model, X, y, loss, optimizer, scheduler, settings):
    """(recipe, None): everything needed to redo this fit, as plain JSON-able numbers and names;
    or (None, why not). The recipe holds the data and the parameters before training ("start"),
    so a copy trained from it takes the same steps and reaches the same losses."""
    if not isinstance(loss, str):
        return None, f"the loss is a function ({loss!r}); a recipe names one of {', '.join(LOSSES)}"
    if settings["shuffle"] and not isinstance(settings["seed"], int):
        return None, f"the seed is {settings['seed']!r}; a recipe reproduces an int seed's order"
    kind = type(optimizer)
    if kind not in _OPTIMISERS:
        return None, f"the optimiser is a {kind.__name__}; a recipe knows SGD, Adam and RMSprop"
    params = model.parameters()
    mine = optimizer.params
    if len(mine) != len(params) or any(a is not b for a, b in zip(mine, params)):
        return None, "the optimiser does not update exactly model.parameters(), in their order"
    if not _fresh(optimizer):
        return None, f"the {kind.__name__} has stepped before this fit (its state carries over)"
    lr, schedule = optimizer.lr, None
    if scheduler is not None:
        if type(scheduler) not in _SCHEDULES or scheduler.optimizer is not optimizer:
            return (
                None,
                f"the scheduler {scheduler!r} is not one of nn.schedules' on this optimiser",
            )
        if scheduler.last_epoch != 0:
            return None, f"the scheduler has stepped {scheduler.last_epoch} times before this fit"
        lr = scheduler.base_lr
        schedule = {"type": type(scheduler).__name__, **_SCHEDULES[type(scheduler)](scheduler)}
    return {
        "loss": loss,
        "optimizer": {"type": kind.__name__, "lr": lr, **_OPTIMISERS[kind](optimizer)},
        "scheduler": schedule,
        **settings,
        "X": X.tolist(),
        "y": y.tolist(),
        "start": model.state_dict(),
    }, None


def _forward(model, Xb, batched):
    """Outputs for a batch: one model call per example, or one call on a Value per feature."""
    if batched:
        return model([Value(column) for column in Xb.T])
    return [model(x) for x in Xb.tolist()]


def _targets(yb, batched):
    """Targets shaped like _forward's outputs: a list per example, or arrays per output."""
    if batched:
        return list(yb.T) if yb.ndim == 2 else yb
    return yb.tolist()


def _numbers(out, batched):
    """Outputs as a numpy array, one row per example (a column per output if several)."""
    if batched:
        if isinstance(out, (list, tuple)):
            return np.column_stack([np.asarray(v.data) for v in out])
        return np.asarray(out.data)
    return np.array([[v.data for v in o] if isinstance(o, (list, tuple)) else o.data for o in out])


# The tapes fit recorded, one per model, kept for its next fit call (benchmarks and lessons call
# fit(epochs=1) in a loop): the entry is (the graph's key, (tape, ...), its batch size). Weak
# keys: a model dropped by its owner drops its tape. An entry holds the model's Values (the
# tape's parameters), never the model itself.
_TAPES = weakref.WeakKeyDictionary()
_UNKNOWN = object()  # an attribute whose effect on the graph fit cannot vouch for
_PLAIN = (numbers.Number, str, bytes, type(None))
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
_DESCRIPTORS = (staticmethod, classmethod, property)  # in a class: by identity, as functions


def _item(x, inside=False):
    """A module attribute as it enters the graph's key: Values and functions as themselves
    (compared by identity), plain numbers and strings by value, a list of them as a tuple,
    a module as a mark (its own attributes are keyed in turn); anything else is _UNKNOWN."""
    if isinstance(x, (Value, *_PLAIN, *_CALLABLES)):
        return x
    if isinstance(x, Module):
        return Module  # modules() walks it (a direct attribute, or in a direct list)
    if isinstance(x, (list, tuple)) and not inside:
        if set(map(type, x)) <= {Value}:  # a neuron's weights: the common case, made fast
            return type(x), tuple(x)
        items = tuple(_item(v, inside=True) for v in x)
        return _UNKNOWN if _UNKNOWN in items else (type(x), items)
    return _UNKNOWN


def _graph_key(model, loss, loss_fn, l2, l1, learnt, Xb, yb):
    """Everything that decides the recorded graph, or None if something cannot be vouched for.

    Each module's type, forward and attributes (its class's too), in modules() order (the
    marks of its submodules give the tree's shape), the parameters the tape feeds (by
    identity), loss, penalties, and the batch's shape but for its length. Two equal keys
    mean the same graph with other numbers: the recorded tape serves both.
    """
    modules, kinds = [], (*_PLAIN, *_CALLABLES, *_DESCRIPTORS)  # what a class may hold
    for m in model.modules():
        attributes = [(k, _item(v)) for k, v in vars(m).items()]
        for cls in type(m).__mro__[:-2]:  # its classes, but for Module and object
            attributes += [
                (f"{cls.__name__}.{k}", v if isinstance(v, kinds) else _UNKNOWN)
                for k, v in vars(cls).items()
                if not k.startswith("__")
            ]
        if any(v is _UNKNOWN for _, v in attributes):
            return None
        modules.append((type(m), tuple(attributes)))
    return (
        tuple(modules), loss, loss_fn, float(l2), float(l1), tuple(learnt),
        Xb.shape[1:], yb.shape[1:], yb.ndim,
    )  # fmt: skip


def _same(a, b):
    """Whether two graph keys are equal: == on tuples, Values and functions by identity."""
    return a is not None and b is not None and a == b


class _Replay:
    """fit's tape: the graph of one batch recorded once, then replayed on every batch.

    Features and targets are the tape's inputs (class labels as one-hot columns, the ones
    _nll builds). So are the graph's other batch leaves, nn's softmax shift: a constant,
    frozen at the recorded batch's maxima and fed back each step (its first n numbers for a
    shorter batch), exact in the maths. One tape then serves the full batches and the short
    last one: recording costs as much as several replays, so fit records only when a batch
    is larger than the recorded one, or afresh if the replayed loss is not finite. The next
    fit call of the same model replays the same tape if the graph's key (_graph_key) is equal.

    With nn's own optimisers (and no clipping), the parameters' numbers stay in one array
    between steps: the tape takes them and hands back the gradients as arrays, the optimiser
    updates the array (Optimizer.step_arrays), and `.data` and `.grad` are written once, at
    the end of each epoch (write_back), with the numbers the per-parameter path leaves.
    """

    def __init__(self, model, loss, loss_fn, l2, l1, params, optimizer, clipping):
        self.model, self.loss, self.loss_fn = model, loss, loss_fn
        self.l2, self.l1, self.params, self.optimizer = l2, l1, params, optimizer
        updated = list(getattr(optimizer, "params", ()))  # what it updates is not frozen either
        ids = set(map(id, params))  # (map, set, dict and == on lists run in C: 2,410 in ~0.1 ms)
        extra = [] if updated == params else [p for p in updated if id(p) not in ids]
        self.learnt = params + extra
        self.last, self.size = None, 0  # (tape, outputs, how many, frozen arrays); its batch
        self.key, self.looked = None, False  # the graph's key, known from the first step on
        self.data = self.grads = None  # the optimiser's numbers in arrays (see the docstring)
        if not clipping and _steps_arrays(optimizer, self.learnt):
            self.data = optimizer._read("data")
            self.grads = np.zeros(len(self.data))
            self.index, self.indexed = None, None  # where the tape's parameters are in data

    def step(self, Xb, yb, record=False):
        """Forward and backward on one batch, gradients into `.grad` (or the arrays); the loss."""
        n = len(Xb)
        if not self.looked:  # the first step: the model is in training mode now
            self.looked = True
            self.key = _graph_key(self.model, self.loss, self.loss_fn, self.l2, self.l1,
                                  self.learnt, Xb, yb)  # fmt: skip
            self.last, self.size = _cached(self.model, self.key)
        if record or self.last is None or n > self.size:
            self.write_back()  # recording reads the parameters' .data
            self.last, self.size = self._record(Xb, yb), n
        tape, out, k, frozen = self.last
        if self.data is not None and self.indexed is not tape:  # where its parameters are
            if tape.params == self.optimizer.params:
                self.index = slice(None)
            else:
                where = dict(zip(map(id, self.optimizer.params), range(len(self.data))))
                self.index = np.array([where[id(p)] for p in tape.params], dtype=np.intp)
            self.indexed = tape
        inputs = np.concatenate([Xb.T, self._targets(yb, k), frozen[:, :n]])
        try:  # a frozen shift can overflow exp or drive a log to 0: fit then records afresh,
            with np.errstate(over="ignore", invalid="ignore"):  # so numpy need not warn
                if self.data is None:
                    self.optimizer.zero_grad()
                    value = tape.run(inputs, [p.data for p in tape.params])
                    for p, g in zip(tape.params, tape.grads.tolist()):
                        p.grad = p.grad + g
                    return value
                self.grads = np.zeros(len(self.data))  # zero_grad(), then the tape's
                value = tape.run(inputs, self.data[self.index])
                self.grads[self.index] = tape.grads
                return value
        except ValueError:
            return math.nan

    def update(self):
        """The optimiser's step, on the arrays (fit calls optimizer.step() itself if None)."""
        self.data = self.optimizer.step_arrays(self.grads, self.data)

    def write_back(self):
        """Give the optimiser's parameters the arrays' numbers, as .data and .grad."""
        if self.data is not None:
            for p, d, g in zip(self.optimizer.params, self.data.tolist(), self.grads.tolist()):
                p.data, p.grad = d, g

    def close(self):
        """Write back, and keep the tape for this model's next fit call."""
        self.write_back()
        if self.key is not None and self.last is not None:
            with contextlib.suppress(TypeError):  # a model that cannot be a weak dict key
                _TAPES[self.model] = (self.key, self.last, self.size)

    def outputs(self):
        """The last step's outputs as numbers, one row per example (as _numbers gives)."""
        tape, out, _, _ = self.last
        if isinstance(out, (list, tuple)):
            return np.column_stack([tape.data(v) for v in out])
        return tape.data(out)

    def _record(self, Xb, yb):
        xs = [Value(column) for column in Xb.T]
        out = self.model(xs)
        k = len(out) if isinstance(out, (list, tuple)) else 1
        ts = [Value(t) for t in self._targets(yb, k)]
        total = self.loss_fn(out, ts if len(ts) > 1 or yb.ndim == 2 or self._classes(yb) else ts[0])
        if self.l2:
            total = total + self.l2 * l2_penalty(self.params)
        if self.l1:
            total = total + self.l1 * l1_penalty(self.params)
        fed = {id(v) for v in xs + ts}  # the other batch leaves: fed their recorded numbers
        frozen = [
            v
            for v in topological_order(total)
            if not v.inputs and isinstance(v.data, np.ndarray) and id(v) not in fed
        ]
        tape = Tape(total, xs + ts + frozen, self.learnt)
        return tape, out, k, np.array([v.data for v in frozen]).reshape(len(frozen), len(Xb))

    def _classes(self, yb):
        return self.loss in ("cross_entropy", "categorical_cross_entropy") and yb.ndim == 1

    def _targets(self, yb, k):
        """The target arrays fed to the tape (a row each), in the shape the loss reads them."""
        if self._classes(yb):
            if yb.min() < 0 or yb.max() >= k:
                raise ValueError(f"{self.loss}: classes must be in 0..{k - 1}, got {yb!r}")
            return (yb == np.arange(k)[:, None]) * 1.0
        return yb.T if yb.ndim == 2 else yb[None, :]


def _cached(model, key):
    """The tape recorded for `model` under an equal key, taken out of the cache (so that one
    fit at a time uses it), as (tape and its parts, batch size); else (None, 0)."""
    try:
        entry = _TAPES.pop(model, None)
    except TypeError:  # unhashable
        return None, 0
    if entry is None or not _same(entry[0], key):
        return None, 0
    return entry[1], entry[2]


def _steps_arrays(optimizer, learnt):
    """Whether fit may keep the numbers in arrays: nn's step rule (not a step of its own), each
    parameter once in the optimiser, and every parameter the tape feeds updated by it."""
    if not isinstance(optimizer, Optimizer) or type(optimizer).step is not Optimizer.step:
        return False
    updated = optimizer.params
    ids = set(map(id, updated))
    return len(ids) == len(updated) and (updated == learnt or ids.issuperset(map(id, learnt)))


def _replay(tape, model, loss, loss_fn, batched, l2, l1, params, optimizer, clipping):
    """A _Replay when fit should use tapes (tape=None: wherever it is safe), else None."""
    if tape not in (None, True, False):
        raise TypeError(f"fit: tape must be None, True or False, got {tape!r}")
    if tape is False:
        return None
    why = None
    if not batched:
        why = "batched=False builds one graph per example"
    elif not isinstance(loss, str):
        why = "a custom loss may read its targets as numbers, not Values"
    elif any(isinstance(m, Dropout) and m.p > 0 for m in model.modules()):
        why = "Dropout draws a new mask every step, which a tape would freeze"
    elif any(isinstance(m, BatchNorm1d) and m.track_running_stats for m in model.modules()):
        why = "BatchNorm1d updates its running statistics every step, which a tape would skip"
    if why is None:
        return _Replay(model, loss, loss_fn, l2, l1, params, optimizer, clipping)
    if tape:
        raise ValueError(f"fit: tape=True is not possible here: {why}")
    return None


def predict(model, X, batched=True):
    """The model's outputs for X as numbers, in evaluation mode, building no graph."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _numbers(_forward(model, np.asarray(X, dtype=float), batched), batched)
    finally:
        model.train(was_training)


def evaluate(model, X, y, loss, metric="auto", batched=True):
    """(loss, accuracy) on held-out data in evaluation mode; accuracy is None without a metric."""
    loss_fn, metric = _loss_and_metric(loss, metric)
    X, y = _data("evaluate", X, y, loss)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = _forward(model, X, batched)
            value = loss_fn(out, _targets(y, batched)).data
    finally:
        model.train(was_training)
    return value, (metric(_numbers(out, batched), y) if metric else None)


@contextlib.contextmanager
def gc_paused():
    """Python's cyclic garbage collector off for one training step, then back as it was (also
    after an error). Values make no reference cycles (reference counting frees a graph), yet
    the collector would scan the tens of thousands of nodes a step makes, over and over: a
    third of an eager step's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def fit(
    model,
    X,
    y,
    *,
    loss,
    optimizer,
    epochs=10,
    batch_size=None,
    shuffle=True,
    seed=0,
    l2=0.0,
    l1=0.0,
    scheduler=None,
    clip_grad_norm=None,
    validation_data=None,
    metric="auto",
    batched=True,
    verbose=None,
    stream=None,
    tape=None,
):
    """Train `model` on (X, y) and return a History; see the module docstring.

    loss: a name from LOSSES or a function (outputs, targets) -> Value. batch_size: None for
    full batch, 1 for stochastic, else mini-batch. l2, l1: penalty weights added to the loss
    (micrograd's demo uses l2=1e-4). scheduler: stepped once per epoch. clip_grad_norm: cap
    on the gradient norm. validation_data: (X, y) evaluated after each epoch. batched: feed a
    batch as one Value per feature, one graph per batch (the default, fast); False builds one
    graph per example, as micrograd does. verbose (Keras's name): None shows tqdm's bar when
    `stream` (tqdm's file, default sys.stderr) is a terminal or in Jupyter; True or False
    forces it on or off. History.loss includes the penalties. History.recipe says how to
    redo this fit (model.save(path, training=history) keeps it; nn.torch_script writes it as
    a PyTorch loop), or is None with the reason in History.recipe_missing.
    tape: None replays a recorded graph for batched steps (autograd.tape, several times
    faster) unless a custom loss or active Dropout rules it out; True insists, False never.
    """
    loss_fn, metric = _loss_and_metric(loss, metric)
    X, y = _data("fit", X, y, loss)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a whole number >= 1, got {epochs!r}")
    if verbose is not None and not isinstance(verbose, bool):  # Keras's levels 0, 1, 2 too
        raise ValueError(f"fit: verbose must be None, True or False, got {verbose!r}")
    if validation_data is not None:
        validation_data = _validation(validation_data, X, y, loss)
    _check_setup(model, optimizer, scheduler, clip_grad_norm)
    loader = DataLoader(X, y, batch_size, shuffle=shuffle, seed=seed)
    params = model.parameters()
    clipping = clip_grad_norm is not None
    replay = _replay(tape, model, loss, loss_fn, batched, l2, l1, params, optimizer, clipping)
    history = History()
    settings = {
        "epochs": epochs, "batch_size": loader.batch_size, "shuffle": bool(shuffle),
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else seed,
        "l1": float(l1), "l2": float(l2),
        "clip_grad_norm": None if clip_grad_norm is None else float(clip_grad_norm),
    }  # fmt: skip
    history.recipe, history.recipe_missing = _recipe(
        model, X, y, loss, optimizer, scheduler, settings
    )
    steps = epochs * len(loader)
    bar = _progress_bar(verbose, steps, stream)
    step, last = 0, None
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            started = time.perf_counter()
            lr = optimizer.lr
            loss_sum = right = 0.0
            seen = 0
            for batch, (Xb, yb) in enumerate(loader, 1):
                with gc_paused():  # the graph makes no cycles: no collector passes
                    step += 1
                    if replay is None:
                        out = _forward(model, Xb, batched)
                        total = loss_fn(out, _targets(yb, batched))
                        if l2:
                            total = total + l2 * l2_penalty(params)
                        if l1:
                            total = total + l1 * l1_penalty(params)
                        value = total.data
                    else:  # forward and backward at once
                        value = replay.step(Xb, yb)
                        if not math.isfinite(value):  # the frozen softmax shift may not fit
                            value = replay.step(Xb, yb, record=True)
                    if not math.isfinite(value):
                        before = "" if last is None else f"; the step before, it was {last:.6g}"
                        raise DivergedError(
                            f"fit: the loss became {value} at step {step} (epoch {epoch}, "
                            f"batch {batch} of {len(loader)}){before}. "
                            "Try a smaller learning rate, or clip_grad_norm",
                            step,
                            epoch,
                            history,
                        )
                    if replay is None:
                        optimizer.zero_grad()
                        total.backward()
                    if clip_grad_norm is not None:
                        clip_grad_norm_(params, clip_grad_norm)
                    if replay is None or replay.data is None:
                        optimizer.step()
                    else:
                        replay.update()
                last = value
                seen += len(yb)
                loss_sum += last * len(yb)
                if metric:
                    numbers = _numbers(out, batched) if replay is None else replay.outputs()
                    right += metric(numbers, yb) * len(yb)
                # Formatting the numbers every step costs a few percent of a small model's
                # step: do it only when tqdm has just drawn (at most every mininterval
                # seconds), for its next draw, and at the last step, for close()'s line.
                if bar.update() or step == steps:
                    accuracy = right / seen if metric else None
                    bar.set_postfix(
                        _postfix(epoch, epochs, loss_sum / seen, accuracy), refresh=False
                    )
                history.steps = step
            if replay is not None:
                replay.write_back()  # before anyone reads the parameters: validation, the caller
            history.loss.append(loss_sum / seen)
            history.accuracy.append(right / seen if metric else None)
            history.lr.append(lr)
            if validation_data is not None:
                val_loss, val_acc = evaluate(model, *validation_data, loss_fn, metric, batched)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_acc)
            history.seconds.append(time.perf_counter() - started)
            if scheduler is not None:
                scheduler.step()
    finally:
        bar.close()
        if replay is not None:
            replay.close()
    return history
