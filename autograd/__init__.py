"""chainrule's engine: scalar `Value` nodes, one op table, backprop, gradient checking."""

from .value import Value, detect_anomaly, no_grad, scope  # isort: skip  (first: backprop needs it)
from .backprop import Step, backward, backward_steps, local_derivatives, topological_order
from .gradcheck import GradcheckError, GradcheckResult, gradcheck, numerical_grad
from .ops import OPS, Op

__all__ = [
    "OPS",
    "GradcheckError",
    "GradcheckResult",
    "Op",
    "Step",
    "Value",
    "backward",
    "backward_steps",
    "detect_anomaly",
    "gradcheck",
    "local_derivatives",
    "no_grad",
    "numerical_grad",
    "scope",
    "topological_order",
]
