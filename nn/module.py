"""`Module`: the base of every layer and model, as in PyTorch, and `Sequential`.

A module finds its parameters by walking its own attributes (Values, modules, and lists of
either) in the order they were set, so names are stable: `layers.0.neurons.3.w.1`. Its state
saves to JSON (never pickle: loading a pickle can run code) and loads back checked.
"""

import json
import math
import numbers
import os

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

    def save(self, path):
        """Write the parameters to `path` as JSON, atomically: a crash leaves the old file.

        autograd.files.write_atomic's rules: a symlink is written through to its target, the file
        keeps its permission bits, a read-only file is refused (PermissionError), and temp
        files left by a killed save are cleaned up.
        """
        state = self.state_dict()
        bad = [n for n, v in state.items() if not _is_number(v) or not math.isfinite(v)]
        if bad:
            raise ValueError(
                f"save({os.fspath(path)!r}): JSON holds only finite numbers; "
                f"{_listed([f'{n} = {state[n]!r}' for n in bad])}"
            )
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "model": type(self).__name__,
            "parameters": state,
        }
        text = json.dumps(payload, indent=1) + "\n"
        write_atomic(path, text, f"save({os.fspath(path)!r})", durable=True)

    def load(self, path):
        """Read parameters saved by save(); a bad file raises and leaves the model unchanged.

        Refused, naming the file: a FIFO or anything not a regular file, over MAX_FILE_BYTES,
        not UTF-8 JSON, nested too deep, a repeated name, NaN/Infinity, or a number no float
        holds (1e999, a 401-digit integer). Errors about a parameter name it.
        """
        where = f"load({os.fspath(path)!r})"
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
        saved_from = payload.get("model", "?")
        return self.load_state_dict(payload.get("parameters"), f"{where} (saved from {saved_from})")


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
