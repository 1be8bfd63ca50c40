"""`Module`: the base of every layer and model, as in PyTorch.

A module finds its parameters by walking its own attributes (Values, modules, and lists of
either) in the order they were set, so names are stable: `layers.0.neurons.3.w.1`.
"""

from autograd import Value, scope


class Module:
    """Base class: parameters(), named_parameters(), zero_grad(), train()/eval(), calling."""

    name = ""  # the scope its nodes are tagged with; containers set it (layer1, neuron3)
    training = True

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__}.forward is not written")

    def __call__(self, *args):
        if not self.name:
            return self.forward(*args)
        with scope(self.name):
            return self.forward(*args)

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

    def parameters(self):
        """Every parameter, in the order of named_parameters()."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter's gradient to 0 (backward() adds to it)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode=True):
        """Switch this module and all inside it to training mode (dropout active)."""
        for _, m in self.named_modules():
            m.training = mode
        return self

    def eval(self):
        """Switch to evaluation mode."""
        return self.train(False)

    def tag_parameters(self):
        """Give each parameter the scope of the module holding it, so graphs cluster it there."""
        for _, m in self.named_modules():
            path = _scope_path(self, m)
            for key, item in m.named_children():
                if isinstance(item, Value):
                    item.scope = path
        return self


def _scope_path(root, target):
    """The dotted scope names (Module.name) from root down to target."""
    def walk(m, names):
        if m is target:
            return names
        for _, child in m.named_children():
            if isinstance(child, Module):
                found = walk(child, names + ([child.name] if child.name else []))
                if found is not None:
                    return found
        return None

    names = walk(root, [root.name] if root.name else [])
    return ".".join(names or [])
