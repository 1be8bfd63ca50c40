"""chainrule's engine: scalar `Value` nodes, one op table, backprop, gradient checking, and
a tape that replays a batched graph fast."""

from .value import Value, detect_anomaly, no_grad, scope  # isort: skip  (first: backprop needs it)
from .backprop import Step, backward, backward_steps, local_derivatives, topological_order
from .forward import (
    ForwardStep,
    ModeCosts,
    Tangents,
    forward_derivative,
    forward_steps,
    jvp,
    mode_costs,
)
from .gradcheck import GradcheckError, GradcheckResult, gradcheck, numerical_grad
from .higher import grad, hessian, hvp
from .ops import OPS, Op
from .tape import Tape
from .torch_replay import Compared, compare_torch, to_torch, torch_ops  # torch only when called

__all__ = [
    "OPS",
    "ForwardStep",
    "GradcheckError",
    "GradcheckResult",
    "ModeCosts",
    "Compared",
    "Op",
    "Step",
    "Tangents",
    "Tape",
    "Value",
    "backward",
    "backward_steps",
    "compare_torch",
    "detect_anomaly",
    "forward_derivative",
    "forward_steps",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "jvp",
    "local_derivatives",
    "mode_costs",
    "no_grad",
    "numerical_grad",
    "scope",
    "to_torch",
    "torch_ops",
    "topological_order",
]
