"""`Module`: the base of every layer and model, as in PyTorch, and `Sequential`.

A module finds its parameters by walking its own attributes (Values, modules, and lists of
either) in the order they were set, so names are stable: `layers.0.neurons.3.w.1`. Its state
saves to JSON (never pickle: loading a pickle can run code) and loads back checked. The file
also describes the model ("architecture": each module's type and constructor arguments), so
`load_model(path)` rebuilds it, and can keep how it was trained ("training": fit's recipe).
"""

import inspect
import json
import math
import numbers
import os
import random

from autograd import Value
from autograd.files import read_limited, write_atomic
from autograd.value import call_in_scope

FORMAT = "chainrule-state-dict"  # the file's "format" field; "version" says which layout
VERSION = 1
MAX_FILE_BYTES = 64 * 2**20  # 64 MiB: over a million parameters, far beyond a scalar engine's


class Module:
    """Base class: parameters(), named_parameters(), zero_grad(), train()/eval(), calling."""

    name = ""  # the scope its nodes are tagged with; containers set it (layer1, neuron3)
    training = True
    # Attributes holding state that is not learned but is part of the model (BatchNorm1d's
    # running statistics): a number or a list of numbers each, saved with the parameters.
    buffers = ()

    def forward(self, *args):
        """What the module computes; subclasses write it, and calling the module runs it."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def __call__(self, *args):
        if not self.name:
            return self.forward(*args)
        return call_in_scope(self.name, self.forward, *args)  # new nodes carry the name

    def named_children(self):
        """(attribute path, item) for each Value or Module held directly, lists flattened."""
        for key, item in vars(self).items():
            if isinstance(item, (list, tuple)):
                for i, sub in enumerate(item):
                    if isinstance(sub, (Value, Module)):
                        yield f"{key}.{i}", sub
            elif isinstance(item, (Value, Module)):
                yield key, item

    def named_parameters(self, prefix=""):
        """(dotted name, Value) for every parameter, in a stable order."""
        for key, item in self.named_children():
            if isinstance(item, Module):
                yield from item.named_parameters(f"{prefix}{key}.")
            else:
                yield prefix + key, item

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every module inside it."""
        yield prefix.rstrip("."), self
        for key, item in self.named_children():
            if isinstance(item, Module):
                yield from item.named_modules(f"{prefix}{key}.")

    def named_buffers(self, prefix=""):
        """(dotted name, number) for every buffer of this module and those inside it."""
        for name, owner, attr, i in self._buffer_slots(prefix):
            value = getattr(owner, attr)
            yield name, value if i is None else value[i]

    def _buffer_slots(self, prefix=""):
        # (dotted name, module, attribute, index in its list or None), for reading and writing
        for attr in self.buffers:
            value = getattr(self, attr)
            if isinstance(value, list):
                for i in range(len(value)):
                    yield f"{prefix}{attr}.{i}", self, attr, i
            elif value is not None:  # None: not kept (BatchNorm1d(track_running_stats=False))
                yield prefix + attr, self, attr, None
        for key, item in self.named_children():
            if isinstance(item, Module):
                yield from item._buffer_slots(f"{prefix}{key}.")

    def modules(self):
        """This module and every module inside it, in the order of named_modules()."""
        found = [self]
        self._gather(found, Module)
        return found

    def parameters(self):
        """Every parameter, in the order of named_parameters()."""
        found = []
        self._gather(found)
        return found

    def _gather(self, found, kind=Value):
        # named_parameters() (or named_modules(), kind=Module) without the names or the
        # generators: a training step asks for the parameters several times, and this is
        # ~3x faster (0.14 ms -> 0.05 ms for MLP(2, [16, 16, 1])). Same walk, same order.
        for item in vars(self).values():
            for sub in item if isinstance(item, (list, tuple)) else (item,):
                if isinstance(sub, Module):
                    if kind is Module:
                        found.append(sub)
                    sub._gather(found, kind)
                elif kind is Value and isinstance(sub, Value):
                    found.append(sub)

    def zero_grad(self):
        """Set every parameter's gradient to 0 (backward() adds to it)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode=True):
        """Switch this module and all inside it to training mode (dropout active)."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off)."""
        return self.train(False)

    def tag_parameters(self, path=None):
        """Give each parameter the scope of the module holding it, so graphs cluster it there."""
        if path is None:
            path = self.name
        for _, item in self.named_children():
            if isinstance(item, Value):
                item.scope = path
            else:
                inner = f"{path}.{item.name}" if path and item.name else path or item.name
                item.tag_parameters(inner)
        return self

    # Saving and loading. A state is {dotted name: number}: every parameter is one number, and
    # so is each number of a buffer.
    def state_dict(self):
        """{dotted name: number} for every parameter (named_parameters() order), then buffers."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state, where="load_state_dict"):
        """Set every parameter from `state`; on any mismatch raise and change nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"{where}: expected a dict of parameters, got {type(state).__name__}")
        params = dict(self.named_parameters())
        slots = {name: (owner, attr, i) for name, owner, attr, i in self._buffer_slots()}
        params.update(dict.fromkeys(slots))  # a buffer's number is checked as a parameter's
        missing = [n for n in params if n not in state]
        extra = [n for n in state if n not in params]
        values, bad, infinite = {}, [], []  # every value checked before any is assigned
        for n, v in state.items():
            if n in params:
                x = _as_float(v)
                if x is None:
                    bad.append(f"{n} = {_describe(v)}")
                elif not math.isfinite(x):
                    infinite.append(f"{n} = {_describe(v)}")
                values[n] = x
        problems = []
        if missing:
            problems.append(f"missing {_listed(missing)}")
        if extra:
            problems.append(f"unexpected {_listed(extra)}")
        if bad:
            problems.append(f"not a single number: {_listed(bad)}")
        if infinite:
            problems.append(f"infinite or too large for a float: {_listed(infinite)}")
        if problems:
            raise ValueError(
                f"{where}: the state does not fit this {type(self).__name__} "
                f"({len(params)} parameters): {'; '.join(problems)}"
            )
        for n, p in params.items():  # only now, when all of it fits
            if n not in slots:
                p.data = values[n]
        for n, (owner, attr, i) in slots.items():
            old = getattr(owner, attr) if i is None else getattr(owner, attr)[i]
            value = int(values[n]) if isinstance(old, int) else values[n]  # a count stays whole
            if i is None:
                setattr(owner, attr, value)
            else:
                getattr(owner, attr)[i] = value
        return self

    def save(self, path, training=None):
        """Write the parameters to `path` as JSON, atomically: a crash leaves the old file.

        The file also holds "architecture" (describe(self): what load_model rebuilds) and,
        given `training` (the History nn.fit returned), "training": fit's recipe and the loss
        per epoch ("losses"), which nn.torch_script's script trains from and compares with.
        autograd.files.write_atomic's rules: a symlink is written through to its target, the file
        keeps its permission bits, a read-only file is refused (PermissionError), and temp
        files left by a killed save are cleaned up.
        """
        where = f"save({os.fspath(path)!r})"
        state = self.state_dict()
        bad = [n for n, v in state.items() if not _is_number(v) or not math.isfinite(v)]
        if bad:
            raise ValueError(
                f"{where}: JSON holds only finite numbers; "
                f"{_listed([f'{n} = {state[n]!r}' for n in bad])}"
            )
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "model": type(self).__name__,
            "parameters": state,
            "architecture": describe(self),
        }
        if training is not None:
            payload["training"] = _training(training, where)
        try:
            text = json.dumps(payload, indent=1, allow_nan=False) + "\n"
        except ValueError:  # NaN or infinity in the training section (the state is checked)
            raise ValueError(f"{where}: training holds a number JSON cannot (NaN, inf)") from None
        write_atomic(path, text, where, durable=True)

    def load(self, path):
        """Read parameters saved by save(); a bad file raises and leaves the model unchanged.

        Refused, naming the file: a FIFO or anything not a regular file, over MAX_FILE_BYTES,
        not UTF-8 JSON, nested too deep, a repeated name, NaN/Infinity, or a number no float
        holds (1e999, a 401-digit integer). Errors about a parameter name it.
        """
        where = f"load({os.fspath(path)!r})"
        payload = read_model_file(path, where)
        saved_from = payload.get("model", "?")
        return self.load_state_dict(payload.get("parameters"), f"{where} (saved from {saved_from})")


def read_model_file(path, where="read_model_file"):
    """The checked contents of a model file as a dict (Module.load says what is refused)."""
    raw = read_limited(path, where, MAX_FILE_BYTES)
    try:
        payload = json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            object_pairs_hook=_no_repeats,
        )
    except RecursionError:
        raise ValueError(f"{where}: not a chainrule model file (nested too deeply)") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not a chainrule model file (not UTF-8 text)") from None
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{where}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); "
            "the file is truncated or corrupt"
        ) from None
    except ValueError as err:  # NaN, Infinity or a repeated name, from the hooks below
        raise ValueError(f"{where}: {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{where}: not a chainrule model file (no 'format': {FORMAT!r})")
    if payload.get("version") != VERSION:
        raise ValueError(
            f"{where}: file version {payload.get('version')!r}, this chainrule reads {VERSION}"
        )
    return payload


class Sequential(Module):
    """Modules applied in order, each to the output of the one before: Sequential(a, b)(x)."""

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} must be a Module, got {type(m).__name__}")
        self.layers = list(modules)
        for i, m in enumerate(self.layers):
            m.name = m.name or f"layer{i + 1}"  # as MLP names its layers, for graph clusters
        self.tag_parameters()

    def forward(self, x):
        """Each module in turn, on the output of the one before."""
        for m in self.layers:
            x = m(x)
        return x

    def __repr__(self):
        return f"Sequential({', '.join(map(repr, self.layers))})"


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _as_float(v):
    """`v` as a float (inf when no float holds it), or None if it is not a single number."""
    if not _is_number(v):
        return None
    try:
        return float(v)
    except OverflowError:  # an integer of 309+ digits
        return math.inf if v > 0 else -math.inf


def _describe(v):
    if isinstance(v, (list, tuple, dict)):
        return f"a {type(v).__name__} of {len(v)}"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**40:
        return f"an integer of {len(str(abs(v)))} digits"
    if isinstance(v, str) and len(v) >= 40:
        return f"a string of {len(v)} characters"
    return repr(v) if _is_number(v) or isinstance(v, (str, bool, type(None))) else type(v).__name__


def _listed(items, most=5):
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_int(digits):
    # an integer too long for a float is read as one (inf), so the check names its parameter
    # (Python's own int parsing stops at 4,300 digits with a message about sys limits)
    return int(digits) if len(digits) <= 300 else float(digits)


def _no_repeats(pairs):
    names = [k for k, _ in pairs]
    if len(set(names)) < len(names):
        repeated = sorted({k for k in names if names.count(k) > 1})
        raise ValueError(f"the name {repeated[0]!r} appears twice (which one is meant?)")
    return dict(pairs)


# --- The model file's "architecture": each module's type and constructor arguments --------
# {"type": "MLP", "args": {"nin": 2, "nouts": [16, 1], "activation": "relu", ...}}; modules
# inside one (Sequential's, Residual's, an activation given as a module) are described the
# same way. A module this table lacks is {"type": ..., "cannot_rebuild": why}.


def _arguments():
    """{class: its constructor's arguments read off an instance} for every module a model file
    rebuilds. Imported here: those modules import this one."""
    from . import activations as A
    from .attention import MultiHeadAttention, Projection, SelfAttention
    from .conv import AvgPool1d, Conv1d, MaxPool1d
    from .layers import MLP, Dropout, Layer, Linear, Maxout, MaxoutNeuron, Neuron
    from .norm import BatchNorm1d, LayerNorm
    from .perceptron import Perceptron
    from .recurrent import GRUCell, LSTMCell, RNNCell
    from .residual import Residual
    from .transformer import FeedForward, TransformerBlock

    def neurons(layer):  # nin, nout, activation and pieces of a Layer (or an MLP's layer)
        first = layer.neurons[0]
        maxout = isinstance(first, MaxoutNeuron)
        activation = "maxout" if maxout else "softmax" if layer.softmax else _act(first.act)
        return {
            "nin": len(first.pieces[0].w if maxout else first.w), "nout": len(layer.neurons),
            "activation": activation, "pieces": len(first.pieces) if maxout else 2,
        }  # fmt: skip

    def mlp(m):
        layers = [neurons(layer) for layer in m.layers]
        return {
            "nin": layers[0]["nin"], "nouts": [each["nout"] for each in layers],
            "activation": layers[0]["activation"] if len(layers) > 1 else "relu",
            "output_activation": layers[-1]["activation"],
            "dropout": m.dropout.p if m.dropout is not None else 0.0,
            "pieces": next((each["pieces"] for each in layers), 2),
        }  # fmt: skip

    def window(m):
        return {"kernel_size": m.kernel_size, "stride": m.stride, "padding": m.padding}

    def cell(m):
        return {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias}

    def attention(m):
        return {"embed_dim": m.embed_dim, "causal": m.causal, "bias": m.query.bias}

    def block(m):
        if (m.norm1.eps, m.norm2.eps) != (1e-5, 1e-5):  # set by hand (from_torch does)
            raise _NoDescription(f"its layer norms have eps {m.norm1.eps:g}, {m.norm2.eps:g}")
        return {"embed_dim": m.embed_dim, "num_heads": m.num_heads, "ff_dim": m.ff_dim,
                "causal": m.causal}  # fmt: skip

    plain = (A.Sigmoid, A.Tanh, A.ReLU, A.SiLU, A.GELU, A.Softplus, A.Step, A.Softmax, A.PReLU)
    return {
        **{kind: lambda m: {} for kind in plain},
        A.LeakyReLU: lambda m: {"alpha": m.alpha},
        A.ELU: lambda m: {"alpha": m.alpha},
        A.Swish: lambda m: {"learnable": True} if isinstance(m.beta, Value) else {"beta": m.beta},
        Sequential: lambda m: {"modules": [describe(each) for each in m.layers]},
        Residual: lambda m: {"module": describe(m.f)},
        MLP: mlp,
        Layer: neurons,
        Linear: lambda m: {k: v for k, v in neurons(m).items() if k in ("nin", "nout")},
        Maxout: lambda m: {k: v for k, v in neurons(m).items() if k != "activation"},
        Neuron: lambda m: {"nin": len(m.w), "nonlin": m.act is not None, "activation": _act(m.act)},
        MaxoutNeuron: lambda m: {"nin": len(m.pieces[0].w), "pieces": len(m.pieces)},
        Dropout: lambda m: {"p": m.p},
        Perceptron: lambda m: {"nin": len(m.w), "lr": m.lr},
        BatchNorm1d: lambda m: {
            "num_features": m.num_features,
            "eps": m.eps,
            "momentum": m.momentum,
            "affine": m.affine,
            "track_running_stats": m.track_running_stats,
        },  # fmt: skip
        LayerNorm: lambda m: {
            "normalized_shape": m.normalized_shape,
            "eps": m.eps,
            "elementwise_affine": m.elementwise_affine,
        },  # fmt: skip
        Conv1d: lambda m: {
            "in_channels": m.in_channels,
            "out_channels": m.out_channels,
            **window(m),
            "bias": bool(m.bias),
        },  # fmt: skip
        MaxPool1d: window,
        AvgPool1d: window,
        RNNCell: lambda m: {**cell(m), "nonlinearity": m.nonlinearity},
        GRUCell: cell,
        LSTMCell: cell,
        Projection: lambda m: {"nin": len(m.neurons[0].w), "nout": len(m.neurons), "bias": m.bias},
        SelfAttention: lambda m: {**attention(m), "scale": m.scale},
        MultiHeadAttention: lambda m: {**attention(m), "num_heads": m.num_heads},
        FeedForward: lambda m: {
            "embed_dim": len(m.linear1.neurons[0].w),
            "ff_dim": len(m.linear1.neurons),
        },  # fmt: skip
        TransformerBlock: block,
    }


class _NoDescription(Exception):
    """A piece the architecture table cannot describe (a function of one's own, say)."""


def _act(act):
    """A neuron's activation as the model file says it: None, a name, or a module's description."""
    from .activations import ACTIVATIONS

    if act is None:
        return None
    if isinstance(act, Module):
        return describe(act)
    names = [name for name, f in ACTIVATIONS.items() if f is act and not isinstance(f, type)]
    if not names:
        raise _NoDescription(f"its activation {act!r} is not one of nn's named ones")
    return names[0]


def describe(module):
    """The architecture of `module` as JSON-able dicts (see above), checked by rebuilding it."""
    kind, table = type(module), _arguments()
    if kind not in table:
        return {"type": kind.__name__, "cannot_rebuild": "the model file does not describe it"}
    try:
        description = {"type": kind.__name__, "args": table[kind](module)}
    except _NoDescription as err:
        return {"type": kind.__name__, "cannot_rebuild": str(err)}
    inner = _first_missing(description)
    if inner is not None:
        return description  # a piece inside says why; load_model names it
    rebuilt = _build(description, table)
    if _shape(rebuilt) != _shape(module):  # a layer changed by hand after it was made
        return {"type": kind.__name__, "cannot_rebuild": "it was changed after it was made"}
    return description


def _shape(model):
    """What a description must give back: each module's type, state names, and activations."""
    acts = [_act(m.act) if hasattr(m, "act") else None for m in model.modules()]
    softmax = [getattr(m, "softmax", None) for m in model.modules()]
    return [type(m) for m in model.modules()], list(model.state_dict()), acts, softmax


def _first_missing(description, path=""):
    """(path, description) of the first piece that cannot be rebuilt, or None."""
    if not isinstance(description, dict):
        return None
    if "cannot_rebuild" in description or "args" not in description:
        return path or "the model", description
    for key, value in description["args"].items():
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            inner = f"{key}.{i}" if isinstance(value, list) else key
            found = _first_missing(item, f"{path}.{inner}" if path else inner)
            if found is not None:
                return found
    return None


def _check_description(description, table, where, path="the model"):
    """Refuse, naming `path`, a description no module here can be built from (before building)."""
    names = {kind.__name__: kind for kind in table}
    if not isinstance(description, dict) or not isinstance(description.get("type"), str):
        raise ValueError(f"{where}: {path} is not described by a type and args: {description!r}")
    name = description["type"]
    if "cannot_rebuild" in description:
        raise ValueError(
            f"{where}: {path} ({name}) cannot be rebuilt: {description['cannot_rebuild']}"
        )
    if name not in names:
        known = ", ".join(sorted(names))
        raise ValueError(
            f"{where}: {path} has the unknown type {name!r}; the file can rebuild {known}"
        )
    args = description.get("args")
    if args is None:
        raise ValueError(f"{where}: {path} ({name}) has no 'args' (its constructor's arguments)")
    accepted = inspect.signature(names[name]).parameters
    extra = [] if not isinstance(args, dict) else [k for k in args if k not in accepted]
    if not isinstance(args, dict) or extra:
        raise ValueError(f"{where}: {path} ({name}) has arguments {args!r}, not {name}'s")
    for key, value in args.items():
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                inner = f"{key}.{i}" if isinstance(value, list) else key
                _check_description(item, table, where, f"{path}.{inner}")


def _build(description, table):
    """The module a (checked) description gives; weights drawn from a private generator."""
    kind = {k.__name__: k for k in table}[description["type"]]
    args = {
        key: [_build(v, table) if isinstance(v, dict) else v for v in value]
        if isinstance(value, list) and key == "modules"
        else _build(value, table)
        if isinstance(value, dict)
        else value
        for key, value in description["args"].items()
    }
    if kind is Sequential:
        return Sequential(*args["modules"])
    if "rng" in inspect.signature(kind).parameters:
        args["rng"] = random.Random(0)  # the weights are loaded next: keep the global generator
    model = kind(**args)
    for m in model.modules():  # Dropout's coins from Python's generator, as a new Dropout's
        if hasattr(m, "rng") and type(m).__name__ == "Dropout":
            m.rng = random
    return model


def load_model(path):
    """A new model rebuilt from the file's architecture, its weights loaded (see Module.load)."""
    where = f"load_model({os.fspath(path)!r})"
    payload = read_model_file(path, where)
    description = payload.get("architecture")
    if description is None:
        raise ValueError(
            f"{where}: the file has no architecture (saved by an older chainrule): build the "
            f"model as it was ({payload.get('model', '?')}) and call model.load(path)"
        )
    table = _arguments()
    _check_description(description, table, where)
    try:
        model = _build(description, table)
    except (TypeError, ValueError) as err:  # an argument the constructor refuses
        raise ValueError(f"{where}: the architecture does not build: {err}") from None
    return model.load_state_dict(payload.get("parameters"), where)


def _training(training, where):
    """The file's "training" section from a History (its recipe and losses) or a recipe."""
    recipe = getattr(training, "recipe", training)
    if recipe is None:
        why = getattr(training, "recipe_missing", None) or "it has none"
        raise ValueError(f"{where}: the History has no recipe to save: {why}")
    if not isinstance(recipe, dict) or not {"loss", "optimizer", "X", "y"} <= set(recipe):
        raise TypeError(f"{where}: training must be the History nn.fit returned, got {training!r}")
    losses = getattr(training, "loss", recipe.get("losses"))
    return {**recipe, "losses": None if losses is None else list(losses)}
