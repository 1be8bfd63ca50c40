"""chainrule's neural-network library on the scalar engine, with PyTorch's names."""

from . import activations, init
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
from .module import Module, Sequential

__all__ = [
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
