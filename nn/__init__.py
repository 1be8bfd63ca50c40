"""chainrule's neural-network library on the scalar engine, with PyTorch's names."""

from . import activations, functional, init, losses
from .activations import (
    ELU,
    GELU,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Step,
    Swish,
    Tanh,
)
from .layers import MLP, Dropout, Layer, Linear, Maxout, MaxoutNeuron, Neuron
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    L1Loss,
    MSELoss,
    cross_entropy,
    mse_loss,
)
from .module import Module, Sequential

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "L1Loss",
    "MSELoss",
    "cross_entropy",
    "mse_loss",
    "functional",
    "losses",
    "ELU",
    "GELU",
    "MLP",
    "Dropout",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Maxout",
    "MaxoutNeuron",
    "Module",
    "Neuron",
    "PReLU",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Step",
    "Swish",
    "Tanh",
    "activations",
    "init",
]
