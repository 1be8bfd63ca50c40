"""chainrule's neural-network library on the scalar engine, with PyTorch's names."""

from .layers import MLP, Layer, Neuron
from .module import Module

__all__ = ["MLP", "Layer", "Module", "Neuron"]
