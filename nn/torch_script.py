"""`torch_script(model)`: the same network as a short PyTorch script a student can read and run.

The script rebuilds the model with torch.nn, loads chainrule's weights from the model file and,
given fit's recipe, trains it as nn.fit did: the same data in nn.data.DataLoader's order (numpy's
permutation from the seed), the same loss and penalties, torch.optim's optimiser and schedule
(chainrule's formulas are theirs), so it prints chainrule's losses epoch by epoch. ddp=True
writes the DistributedDataParallel version, for when a model or its data outgrows one machine.
The layers and the name table come from nn.torch_bridge (to_torch, torch_state_names): one
mapping from chainrule to torch, written once. Comments are in English or Chinese (`lang`).
"""

import inspect
import json
import os
import sys

import numpy as np

from . import activations as A
from .attention import MultiHeadAttention, Projection, SelfAttention
from .conv import AvgPool1d, Conv1d, MaxPool1d
from .layers import MLP, Dropout, Layer, Linear, Maxout, MaxoutNeuron, Neuron
from .module import Module, Sequential, describe
from .norm import BatchNorm1d, LayerNorm
from .perceptron import Perceptron
from .recurrent import GRUCell, LSTMCell, RNNCell
from .residual import Residual
from .torch_bridge import _build, _torch
from .transformer import FeedForward, TransformerBlock

# The chainrule modules a script rebuilds (every one nn.to_torch converts). Those reading
# sequences are rebuilt and loaded, but not trained: nn.fit trains models of features (N, C).
SEQUENCES = (
    Conv1d, MaxPool1d, AvgPool1d, RNNCell, GRUCell, LSTMCell, SelfAttention, MultiHeadAttention,
    TransformerBlock,
)  # fmt: skip
SUPPORTED = (
    Sequential, MLP, Layer, Linear, Maxout, Neuron, MaxoutNeuron, Perceptron, Residual, Dropout,
    BatchNorm1d, LayerNorm, A.Sigmoid, A.Tanh, A.ReLU, A.SiLU, A.GELU, A.Softplus, A.Step,
    A.Softmax, A.LeakyReLU, A.ELU, A.PReLU, A.Swish, Projection, FeedForward, *SEQUENCES,
)  # fmt: skip


# --- The comments' language -----------------------------------------------------------------
# nn never imports viz: when viz.i18n is loaded (the CLI, a lesson), its language is the one in
# force; else the environment's, read as gettext reads it.


def _language(lang):
    """`lang` as 'en' or 'zh-CN' (None: the current language); a ValueError for anything else."""
    i18n = sys.modules.get("viz.i18n")
    if i18n is not None:
        return i18n.resolve(lang, where="torch_script")
    names = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    asked = (
        lang
        if lang is not None
        else next((os.environ[n].split(":")[0] for n in names if os.environ.get(n)), "en")
    )
    tag = str(asked).split(".")[0].replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    if lang is None or tag in ("en", "c", "posix") or tag.startswith("en-"):
        return "en"  # (an environment asking for a language chainrule lacks gets English)
    raise ValueError(f"torch_script: lang={lang!r}; choose one of 'en', 'zh-CN' (or None)")


# Every comment, docstring and message of the scripts, in Chinese. The English is in the
# templates below; a Chinese script replaces each English text with its entry here.
ZH = {
    "PyTorch script written by chainrule: the same network, the same weights": (
        "chainrule 写的 PyTorch 脚本：同一个网络，同样的权重"
    ),
    "and the same training loop, so it prints the same loss every epoch.": (
        "和同样的训练循环，所以它每一轮打印出同样的损失。"
    ),
    "It reads the chainrule model file (model.save(path, training=history)).": (
        "它读取 chainrule 的模型文件（model.save(path, training=history)）。"
    ),
    "Run it:": "运行：",
    "Every number is float64, as in chainrule.": "每个数都是 float64，和 chainrule 一样。",
    "chainrule computes in float64: so does this script": (
        "chainrule 用 float64 计算，这个脚本也一样"
    ),
    "The network, layer by layer; in chainrule it is": "网络，一层接一层；在 chainrule 里它是",
    "Where each chainrule number goes. chainrule names every number (layers.0.neurons.3.w.1:": (
        "每个 chainrule 数放到哪里。chainrule 给每个数起名（layers.0.neurons.3.w.1："
    ),
    "layer 0, neuron 3, weight 1); torch keeps a layer's weights in one tensor, row = neuron,": (
        "第 0 层、第 3 个神经元、第 1 个权重）；torch 把一层的权重放在一个张量里，行 = 神经元，"
    ),
    "column = input. {0} and {1} are the row and column, {n} counts along the rows.": (
        "列 = 输入。{0} 和 {1} 是行和列，{n} 沿着行数下去。"
    ),
    "Copy chainrule's numbers {name: number} into the model's tensors.": (
        "把 chainrule 的数 {name: number} 复制到模型的张量里。"
    ),
    "How chainrule's nn.fit trained it (the recipe in the model file):": (
        "chainrule 的 nn.fit 是怎样训练它的（模型文件里的训练配方）："
    ),
    "passes over the data": "遍历数据的轮数",
    "examples a step (the whole data set: full-batch gradient descent)": (
        "每一步的样本数（整个数据集：全批量梯度下降）"
    ),
    "examples a step (mini-batches)": "每一步的样本数（小批量）",
    "a new order every epoch, drawn as chainrule's DataLoader draws it": (
        "每一轮一个新的顺序，和 chainrule 的 DataLoader 一样抽取"
    ),
    "the loss adds L2 * (sum of every parameter squared), as fit's l2": (
        "损失加上 L2 ×（所有参数的平方和），和 fit 的 l2 一样"
    ),
    "the loss adds L1 * (sum of every parameter's size), as fit's l1": (
        "损失加上 L1 ×（所有参数绝对值之和），和 fit 的 l1 一样"
    ),
    "the gradient's length is capped at this, as fit's clip_grad_norm": (
        "梯度的长度不超过这个数，和 fit 的 clip_grad_norm 一样"
    ),
    "the mean of (output - target)^2 over every output, as chainrule's mse": (
        "所有输出上 (输出 - 目标)^2 的平均，和 chainrule 的 mse 一样"
    ),
    "softplus(z) - y z from the logit z: BCE of sigmoid(z), computed stably": (
        "从 logit z 算 softplus(z) - y z：sigmoid(z) 的二元交叉熵，数值稳定"
    ),
    "log-softmax of the logits, then the target class's -log p": (
        "先对 logits 取 log-softmax，再取目标类别的 -log p"
    ),
    "chainrule's binary cross-entropy clips p into [1e-7, 1 - 1e-7] first": (
        "chainrule 的二元交叉熵先把 p 截断到 [1e-7, 1 - 1e-7]"
    ),
    "(torch's nn.BCELoss stops its logs at -100 instead): written out here.": (
        "（torch 的 nn.BCELoss 则把对数截在 -100）：所以这里自己写出来。"
    ),
    "chainrule's cross-entropy from probabilities clips them into [1e-15, 1 - 1e-15].": (
        "chainrule 从概率算的交叉熵把它们截断到 [1e-15, 1 - 1e-15]。"
    ),
    "The hinge loss max(0, 1 - y s) for labels y = -1 or +1.": (
        "合页损失 max(0, 1 - y s)，标签 y 为 -1 或 +1。"
    ),
    "One target per example, shaped as the model's output (N, 1).": (
        "每个样本一个目标，形状和模型的输出一样 (N, 1)。"
    ),
    "class labels 0, 1, ...: whole numbers": "类别标签 0, 1, ...：整数",
    "Train as chainrule's nn.fit did; return the mean loss of each epoch.": (
        "像 chainrule 的 nn.fit 那样训练；返回每一轮的平均损失。"
    ),
    "torch's optimiser with chainrule's settings: the two use the same formulas": (
        "torch 的优化器，用 chainrule 的设置：两者的公式相同"
    ),
    "the learning rate's schedule, stepped once an epoch as in fit": (
        "学习率的调度，和 fit 一样每一轮调用一次"
    ),
    "the same shuffling as chainrule's DataLoader": "和 chainrule 的 DataLoader 一样打乱顺序",
    "dropout on (its coins differ from chainrule's, so the losses do too)": (
        "打开 dropout（它抽的随机数和 chainrule 的不同，所以损失也不同）"
    ),
    "training mode, as fit sets it": "训练模式，和 fit 一样",
    "the examples of this step": "这一步的样本",
    "forward pass, and the loss": "前向传播，然后是损失",
    "backprop: every parameter's gradient, as chainrule's backward()": (
        "反向传播：每个参数的梯度，和 chainrule 的 backward() 一样"
    ),
    "one step of the optimiser": "优化器走一步",
    "The weights chainrule started from: so both trainings take the same steps.": (
        "chainrule 开始训练时的权重：这样两边走的每一步都一样。"
    ),
    "After training: how far the weights are from those chainrule ended with.": (
        "训练以后：这些权重和 chainrule 训练完的权重相差多少。"
    ),
    'torch.save(model.state_dict(), "model.pt") keeps them in torch\'s own format.': (
        'torch.save(model.state_dict(), "model.pt") 用 torch 自己的格式保存它们。'
    ),
    "the chainrule model file (written by model.save)": (
        "chainrule 的模型文件（由 model.save 写出）"
    ),
    "No training recipe in the file: save it with model.save(path, training=history)": (
        "文件里没有训练配方：请用 model.save(path, training=history) 保存"
    ),
    "largest difference from chainrule's trained weights:": "和 chainrule 训练后的权重的最大差：",
    "The weights chainrule saved.": "chainrule 保存的权重。",
    "numbers loaded from": "个数，来自",
    # the DistributedDataParallel script
    "The DistributedDataParallel version: the same training spread over several processes.": (
        "DistributedDataParallel 版本：同样的训练，分到几个进程上。"
    ),
    "When to use it: when a model or its data outgrows one machine (or one GPU). Each": (
        "什么时候用：模型或数据对一台机器（或一块 GPU）来说太大的时候。每个"
    ),
    "process holds a copy of the model and reads its share of every batch; during": (
        "进程都有一份模型，读每个批量里属于自己的那一份；在"
    ),
    "backward() DDP averages the gradients of all processes, so every copy takes the same": (
        "backward() 期间，DDP 把所有进程的梯度求平均，所以每一份模型走同样的"
    ),
    "step. What does not change: the model, the loss, the optimiser, the loop.": (
        "一步。不变的是：模型、损失、优化器和训练循环。"
    ),
    "Run it with 2 processes on this machine (gloo: the CPU backend; nccl on GPUs):": (
        "在这台机器上用 2 个进程运行（gloo：CPU 的后端；GPU 上用 nccl）："
    ),
    "every process runs this file; torchrun tells each its rank and the world size": (
        "每个进程都运行这个文件；torchrun 告诉每个进程它的编号（rank）和进程总数"
    ),
    "DDP copies process 0's weights to every process and averages gradients in backward()": (
        "DDP 把 0 号进程的权重复制给每个进程，并在 backward() 里对梯度求平均"
    ),
    "Each BatchNorm1d averages over its process's share only: nn.SyncBatchNorm shares them.": (
        "每个 BatchNorm1d 只在本进程的那一份上求平均：nn.SyncBatchNorm 会在进程之间共享。"
    ),
    "this process's share of the batch (an equal split; DistributedSampler does the same": (
        "这个批量里属于本进程的那一份（平均分配；DistributedSampler 对你自己的"
    ),
    "for your own data, with torch's shuffling)": "数据也这样做，用的是 torch 的打乱方式）",
    "DDP averages the processes' gradients: weighting each share by its size makes that": (
        "DDP 对各进程的梯度求平均：按每一份的大小加权，使这个平均"
    ),
    "average the gradient of the whole batch's mean loss, as in one process": (
        "正好是整个批量平均损失的梯度，和一个进程时一样"
    ),
    "the whole batch's loss, for the printout: every share's, added over the processes": (
        "整个批量的损失，用来打印：把每个进程那一份加起来"
    ),
    "{world} processes need an example each, the smallest batch has {smallest}": (
        "{world} 个进程每个都需要一个样本，最小的批量只有 {smallest} 个"
    ),
    "only process 0 prints": "只有 0 号进程打印",
    # the classes copied from nn.torch_modules (torch has no such layer)
    "The perceptron's step: 1 where x >= 0, else 0; its derivative is 0 everywhere.": (
        "感知机的阶跃函数：x >= 0 时为 1，否则为 0；它的导数处处为 0。"
    ),
    "0 * sign(x) keeps the output in the graph (sign's derivative is 0), so backward()": (
        "0 * sign(x) 让输出留在计算图里（sign 的导数是 0），所以 backward()"
    ),
    "through a step gives zeros, as chainrule's step does, instead of an error.": (
        "经过阶跃函数时得到 0，和 chainrule 的 step 一样，而不是报错。"
    ),
    "x * sigmoid(beta * x) with a constant beta (beta = 1 is torch's SiLU).": (
        "x * sigmoid(beta * x)，beta 是常数（beta = 1 就是 torch 的 SiLU）。"
    ),
    "`out_features` maxout units: each the largest of `pieces` affine functions of x.": (
        "`out_features` 个 maxout 单元：每个取 `pieces` 个仿射函数里最大的那个。"
    ),
    "One Linear holds every piece, unit by unit: rows j·pieces .. j·pieces + pieces - 1 are": (
        "一个 Linear 按单元依次存放所有分段：第 j·pieces .. j·pieces + pieces - 1 行是"
    ),
    "unit j's pieces, so `linear.weight` reads as chainrule's neurons.j.pieces.k.w.": (
        "第 j 个单元的分段，所以 `linear.weight` 读起来就是 chainrule 的 neurons.j.pieces.k.w。"
    ),
    "the gradient goes to the largest piece only": "梯度只流向最大的那一段",
    "True above the diagonal: position i may not look at positions after i.": (
        "对角线以上为 True：位置 i 不能看它后面的位置。"
    ),
    "One attention head (nn.attention.SelfAttention): softmax(Q Kᵀ · scale) V, no out "
    "projection.": (
        "一个注意力头（nn.attention.SelfAttention）：softmax(Q Kᵀ · scale) V，没有输出投影。"
    ),
    "scale: the scores' factor (1/√d for chainrule's scale=True, 1 for False). Input (N, L, d).": (
        "scale：分数的系数（chainrule 的 scale=True 时为 1/√d，False 时为 1）。输入 (N, L, d)。"
    ),
    "torch.nn.MultiheadAttention called as chainrule's is: forward(x) = attention(x, x, x).": (
        "像 chainrule 那样调用 torch.nn.MultiheadAttention：forward(x) = attention(x, x, x)。"
    ),
    "The same parameters under the same names (in_proj_weight, out_proj.weight, ...), so its": (
        "同样的参数，同样的名字（in_proj_weight、out_proj.weight ……），所以它的"
    ),
    "state_dict loads into a plain MultiheadAttention. batch_first: input (N, L, embed_dim),": (
        "state_dict 可以载入普通的 MultiheadAttention。batch_first：输入 (N, L, embed_dim)，"
    ),
    "or (L, embed_dim) for one sequence. causal: each position sees itself and earlier ones.": (
        "一个序列时为 (L, embed_dim)。causal：每个位置只看它自己和前面的位置。"
    ),
    "torch.nn.TransformerEncoderLayer that always applies the causal mask (causal=True blocks).": (
        "总是使用因果掩码的 torch.nn.TransformerEncoderLayer（causal=True 的块）。"
    ),
    "Inputs as torch lays them out: Conv1d and the pools (N, C, L), attention and the": (
        "输入按 torch 的布局：Conv1d 和池化层是 (N, C, L)，注意力和"
    ),
    "Transformer block (N, L, C); a recurrent cell takes (N, input) and the state.": (
        "Transformer 块是 (N, L, C)；循环单元接收 (N, input) 和状态。"
    ),
    "x + f(x): the skip connection (nn.residual.Residual).": (
        "x + f(x)：跳跃连接（nn.residual.Residual）。"
    ),
    "Start it with torchrun: ": "请用 torchrun 启动：",
    "all wait for process 0: gloo torn down while in use can abort": (
        "都等进程 0 做完：gloo 还在用时就拆掉，进程可能异常中止"
    ),
}


def _translate(text, lang):
    """`text` with every English comment and message in `lang` (longest first: no text is a
    part of a longer one that would be replaced first)."""
    if lang == "en":
        return text
    for english in sorted(ZH, key=len, reverse=True):
        text = text.replace(english, ZH[english])
    return text


# --- The network: torch.nn code for the twin to_torch builds ----------------------------------


def _check_model(model):
    """Refuse, by its path, the first piece of `model` a script cannot rebuild."""
    if not isinstance(model, Module):
        raise TypeError(f"torch_script: expected a chainrule nn.Module, got {type(model).__name__}")
    for path, m in model.named_modules():
        if type(m) not in SUPPORTED:
            names = ", ".join(sorted({k.__name__ for k in SUPPORTED}))
            raise ValueError(
                f"torch_script: {path or 'the model'} ({type(m).__name__}) has no PyTorch "
                f"script; torch_script writes {names}"
            )


def _number(x):
    """A float as code: 0.01, 1e-05, and whole numbers without a point where torch wants ints."""
    return repr(float(x))


def _one(x):
    """torch keeps some 1-D sizes as (k,) tuples."""
    return x[0] if isinstance(x, tuple) else x


def _layer_code(t, tnn, own, classes, indent=""):
    """The torch.nn expression building module `t` (children on their own lines)."""
    kind = type(t)
    inner = indent + "    "
    if kind is tnn.Sequential:
        lines = [f"{inner}{_layer_code(c, tnn, own, classes, inner)}," for c in t]
        return "nn.Sequential(\n" + "\n".join(lines) + f"\n{indent})"
    if kind is tnn.Linear:
        bias = "" if t.bias is not None else ", bias=False"
        return f"nn.Linear({t.in_features}, {t.out_features}{bias})"
    if kind in (tnn.Sigmoid, tnn.Tanh, tnn.ReLU, tnn.SiLU, tnn.GELU):
        return f"nn.{kind.__name__}()"
    if kind is tnn.Softplus:  # torch's default returns x above 20; chainrule's is exact
        return f"nn.Softplus(threshold={_number(t.threshold)})"
    if kind is tnn.LeakyReLU:
        return f"nn.LeakyReLU({_number(t.negative_slope)})"
    if kind is tnn.ELU:
        return f"nn.ELU({_number(t.alpha)})"
    if kind is tnn.PReLU:
        return f"nn.PReLU({t.num_parameters})"
    if kind is tnn.Softmax:
        return "nn.Softmax(dim=-1)"
    if kind is tnn.Dropout:
        return f"nn.Dropout({_number(t.p)})"
    if kind is tnn.BatchNorm1d:
        momentum = "None" if t.momentum is None else _number(t.momentum)
        return (
            f"nn.BatchNorm1d({t.num_features}, eps={_number(t.eps)}, momentum={momentum}, "
            f"affine={t.affine}, track_running_stats={t.track_running_stats})"
        )
    if kind is tnn.LayerNorm:
        return (
            f"nn.LayerNorm({t.normalized_shape[0]}, eps={_number(t.eps)}, "
            f"elementwise_affine={t.elementwise_affine})"
        )
    if kind is tnn.Conv1d:
        bias = "" if t.bias is not None else ", bias=False"
        return (
            f"nn.Conv1d({t.in_channels}, {t.out_channels}, {t.kernel_size[0]}, "
            f"stride={t.stride[0]}, padding={t.padding[0]}{bias})"
        )
    if kind in (tnn.MaxPool1d, tnn.AvgPool1d):
        k, stride, padding = (_one(getattr(t, a)) for a in ("kernel_size", "stride", "padding"))
        return f"nn.{kind.__name__}({k}, stride={stride}, padding={padding})"
    if kind in (tnn.RNNCell, tnn.GRUCell, tnn.LSTMCell):
        extra = f", nonlinearity={json.dumps(t.nonlinearity)}" if kind is tnn.RNNCell else ""
        return f"nn.{kind.__name__}({t.input_size}, {t.hidden_size}, bias={t.bias}{extra})"
    if kind in (tnn.TransformerEncoderLayer, own.CausalEncoderLayer):
        if kind is own.CausalEncoderLayer:
            classes.update((own.causal_mask, kind))
        name = (
            "nn.TransformerEncoderLayer" if kind is tnn.TransformerEncoderLayer else kind.__name__
        )
        args = {
            "d_model": t.self_attn.embed_dim,
            "nhead": t.self_attn.num_heads,
            "dim_feedforward": t.linear1.out_features,
            "dropout": 0.0,
            "activation": '"relu"',
            "layer_norm_eps": _number(t.norm1.eps),
            "batch_first": True,
            "norm_first": True,
        }  # fmt: skip  (chainrule's block: pre-norm, ReLU, no dropout)
        lines = "".join(f"{inner}{k}={v},\n" for k, v in args.items())
        return f"{name}(\n{lines}{indent})"
    classes.add(kind)  # one of nn.torch_modules': its class goes into the script
    if kind is own.Step:
        return "Step()"
    if kind is own.Swish:
        return f"Swish({_number(t.beta)})"
    if kind is own.Maxout:
        return f"Maxout({t.linear.in_features}, {t.out_features}, {t.pieces})"
    if kind is own.SelfAttention:
        bias = t.query.bias is not None
        return (
            f"SelfAttention({t.query.in_features}, causal={t.causal}, "
            f"scale={_number(t.scale)}, bias={bias})"
        )
    if kind is own.MultiHeadSelfAttention:
        classes.add(own.causal_mask)
        bias = t.in_proj_bias is not None
        return (
            f"MultiHeadSelfAttention({t.embed_dim}, {t.num_heads}, causal={t.causal}, bias={bias})"
        )
    if kind is own.Residual:
        return f"Residual(\n{inner}{_layer_code(t.f, tnn, own, classes, inner)}\n{indent})"
    raise RuntimeError(f"torch_script: no code for torch's {kind.__name__} (a bug)")


def _pattern(names, shape):
    """A str.format pattern giving the n-th chainrule name from the n-th index of `shape`
    ({0}, {1}: the index along each axis; {n}: the position), or None if none does."""
    indices = list(np.ndindex(*shape))
    split = [name.split(".") for name in names]
    if len({len(parts) for parts in split}) != 1:
        return None
    pattern = []
    for column in zip(*split):
        if len(set(column)) == 1:
            pattern.append(column[0].replace("{", "{{").replace("}", "}}"))
            continue
        axes = [
            a for a in range(len(shape)) if all(t == str(i[a]) for t, i in zip(column, indices))
        ]
        if axes:
            pattern.append(f"{{{axes[0]}}}")
        elif all(t == str(n) for n, t in enumerate(column)):
            pattern.append("{n}")
        else:
            return None
    return ".".join(pattern)


def _names_code(twin, table):
    """The NAMES table: {torch tensor: chainrule name pattern (or the list of names)}."""
    shapes = {k: tuple(v.shape) for k, v in twin.state_dict().items()}
    lines = []
    for name, names in table.items():
        pattern = _pattern(names, shapes[name])
        if pattern is not None:
            lines.append(f"    {json.dumps(name)}: {json.dumps(pattern)},")
            continue
        lines.append(f"    {json.dumps(name)}: [")  # no pattern: every name, in torch's order
        lines += [f"        {json.dumps(each)}," for each in names]
        lines.append("    ],")
    return "NAMES = {\n" + "\n".join(lines) + "\n}"


def _classes_code(classes, own):
    """The source of the nn.torch_modules classes the network uses, in that file's order."""
    order = (
        own.Step, own.Swish, own.Maxout, own.Residual, own.causal_mask, own.SelfAttention,
        own.MultiHeadSelfAttention, own.CausalEncoderLayer,
    )  # fmt: skip
    used = [c for c in order if c in classes]
    return "\n\n".join(inspect.getsource(c) for c in used)


# --- Training: fit's recipe as a torch loop ----------------------------------------------------

_LOSSES = {
    "mse": """# the mean of (output - target)^2 over every output, as chainrule's mse
loss_fn = nn.MSELoss()""",
    "bce_with_logits": """# softplus(z) - y z from the logit z: BCE of sigmoid(z), computed stably
loss_fn = nn.BCEWithLogitsLoss()""",
    "cross_entropy": """# log-softmax of the logits, then the target class's -log p
loss_fn = nn.CrossEntropyLoss()""",
    "bce": """def loss_fn(p, y):
    # chainrule's binary cross-entropy clips p into [1e-7, 1 - 1e-7] first
    # (torch's nn.BCELoss stops its logs at -100 instead): written out here.
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()""",
    "hinge": """def loss_fn(s, y):
    # The hinge loss max(0, 1 - y s) for labels y = -1 or +1.
    return torch.relu(1 - y * s).mean()""",
}
_CATEGORICAL = {  # class labels, or a row of probabilities per example
    True: """def loss_fn(p, y):
    # chainrule's cross-entropy from probabilities clips them into [1e-15, 1 - 1e-15].
    return nn.functional.nll_loss(p.clamp(1e-15, 1 - 1e-15).log(), y)""",
    False: """def loss_fn(p, y):
    # chainrule's cross-entropy from probabilities clips them into [1e-15, 1 - 1e-15].
    return -(y * p.clamp(1e-15, 1 - 1e-15).log()).sum(dim=1).mean()""",
}


def _recipe_of(training):
    """The recipe in `training`: a History (its .recipe), a recipe dict, or a model file's."""
    recipe = getattr(training, "recipe", training)
    if recipe is None:
        why = getattr(training, "recipe_missing", None) or "it has none"
        raise ValueError(f"torch_script: the History has no recipe: {why}")
    if not isinstance(recipe, dict) or not {"loss", "optimizer", "X", "y", "start"} <= set(recipe):
        raise TypeError(
            f"torch_script: training must be the History nn.fit returned, got {training!r}"
        )
    if recipe["loss"] not in (*_LOSSES, "categorical_cross_entropy"):
        raise ValueError(f"torch_script: the loss {recipe['loss']!r} has no torch form here")
    return recipe


def _whole(x):
    """A number torch wants whole (StepLR's step_size, T_max) as code."""
    return str(int(x)) if float(x).is_integer() else _number(x)


def _optimizer_code(o):
    """torch.optim's optimiser with the recipe's settings (those that differ from the default)."""
    kind, args = o["type"], [f"lr={_number(o['lr'])}"]
    if kind == "SGD":
        if o["momentum"]:
            args.append(f"momentum={_number(o['momentum'])}")
        if o["nesterov"]:
            args.append("nesterov=True")
    elif kind == "Adam":
        b1, b2 = o["betas"]
        args.append(f"betas=({_number(b1)}, {_number(b2)}), eps={_number(o['eps'])}")
    elif kind == "RMSprop":
        args.append(f"alpha={_number(o['alpha'])}, eps={_number(o['eps'])}")
    else:
        raise ValueError(f"torch_script: the optimiser {kind!r} has no torch form here")
    if o["weight_decay"]:
        args.append(f"weight_decay={_number(o['weight_decay'])}")
    return f"torch.optim.{kind}(model.parameters(), {', '.join(args)})"


def _scheduler_code(s):
    kind = s["type"]
    args = {
        "StepLR": lambda: f"step_size={_whole(s['step_size'])}, gamma={_number(s['gamma'])}",
        "ExponentialLR": lambda: f"gamma={_number(s['gamma'])}",
        "CosineAnnealingLR": lambda: f"T_max={_whole(s['T_max'])}, eta_min={_number(s['eta_min'])}",
        "LinearLR": lambda: (
            f"start_factor={_number(s['start_factor'])}, end_factor={_number(s['end_factor'])}, "
            f"total_iters={_whole(s['total_iters'])}"
        ),
    }
    if kind not in args:
        raise ValueError(f"torch_script: the scheduler {kind!r} has no torch form here")
    return f"torch.optim.lr_scheduler.{kind}(optimizer, {args[kind]()})"


def _settings_code(recipe):
    """The recipe's numbers as the script's constants, each with what it does."""
    n, batch = len(recipe["X"]), recipe["batch_size"] or len(recipe["X"])
    lines = [
        "# How chainrule's nn.fit trained it (the recipe in the model file):",
        f"EPOCHS = {recipe['epochs']}  # passes over the data",
    ]
    how = "the whole data set: full-batch gradient descent" if batch >= n else "mini-batches"
    lines.append(f"BATCH_SIZE = {batch}  # examples a step ({how})")
    lines.append(
        f"SHUFFLE, SEED = {recipe['shuffle']}, {recipe['seed']}  # a new order every epoch, "
        "drawn as chainrule's DataLoader draws it"
    )
    if recipe["l2"]:
        lines.append(
            f"L2 = {_number(recipe['l2'])}  # the loss adds L2 * (sum of every parameter "
            "squared), as fit's l2"
        )
    if recipe["l1"]:
        lines.append(
            f"L1 = {_number(recipe['l1'])}  # the loss adds L1 * (sum of every parameter's "
            "size), as fit's l1"
        )
    if recipe["clip_grad_norm"] is not None:
        lines.append(
            f"CLIP = {_number(recipe['clip_grad_norm'])}  # the gradient's length is capped "
            "at this, as fit's clip_grad_norm"
        )
    return "\n".join(lines)


def _loss_code(recipe):
    """The loss function, as fit's loss of that name computes it."""
    if recipe["loss"] == "categorical_cross_entropy":
        return _CATEGORICAL[np.asarray(recipe["y"]).ndim == 1]
    return _LOSSES[recipe["loss"]]


def _targets_code(recipe, outputs):
    """How the script turns the file's y into the tensor the loss reads."""
    y = np.asarray(recipe["y"])
    if recipe["loss"] in ("cross_entropy", "categorical_cross_entropy") and y.ndim == 1:
        return (
            "# class labels 0, 1, ...: whole numbers\n"
            '    y = torch.tensor(training["y"], dtype=torch.long)'
        )
    if y.ndim == 1 and outputs == 1:
        return (
            "# One target per example, shaped as the model's output (N, 1).\n"
            '    y = torch.tensor(training["y"], dtype=torch.float64).reshape(-1, 1)'
        )
    return 'y = torch.tensor(training["y"], dtype=torch.float64)'


def _penalty_code(recipe, model="model"):
    terms = []
    if recipe["l2"]:
        terms.append(f"L2 * sum((w * w).sum() for w in {model}.parameters())")
    if recipe["l1"]:
        terms.append(f"L1 * sum(w.abs().sum() for w in {model}.parameters())")
    return " + ".join(terms)


def _train_code(recipe, outputs, ddp, batchnorm, dropout):
    """def train(...): fit's loop over epochs and batches, in torch (DDP: with its share)."""
    penalty = _penalty_code(recipe)
    lines = [
        "def train(model, training):",
        '    """Train as chainrule\'s nn.fit did; return the mean loss of each epoch."""',
        '    X = torch.tensor(training["X"], dtype=torch.float64)',
        "    " + _targets_code(recipe, outputs),
        "    # torch's optimiser with chainrule's settings: the two use the same formulas",
        f"    optimizer = {_optimizer_code(recipe['optimizer'])}",
    ]
    if recipe["scheduler"] is not None:
        lines += [
            "    # the learning rate's schedule, stepped once an epoch as in fit",
            f"    scheduler = {_scheduler_code(recipe['scheduler'])}",
        ]
    if ddp:
        lines += [
            "    rank, world = dist.get_rank(), dist.get_world_size()",
            "    smallest = len(X) % BATCH_SIZE or BATCH_SIZE",
            "    if smallest < world:",
            "        raise SystemExit(",
            "            "
            'f"{world} processes need an example each, the smallest batch has {smallest}"',
            "        )",
        ]
        if batchnorm:
            lines.append(
                "    # Each BatchNorm1d averages over its process's share only: nn.SyncBatchNorm "
                "shares them."
            )
    lines += [
        "    rng = np.random.default_rng(SEED)  # the same shuffling as chainrule's DataLoader",
        "    model.train()  # "
        + (
            "dropout on (its coins differ from chainrule's, so the losses do too)"
            if dropout
            else "training mode, as fit sets it"
        ),
        "    losses = []",
        "    for _ in range(EPOCHS):",
        "        order = rng.permutation(len(X)) if SHUFFLE else np.arange(len(X))",
        "        total = 0.0",
        "        for start in range(0, len(X), BATCH_SIZE):",
        "            batch = torch.from_numpy(order[start : start + BATCH_SIZE])  # the examples "
        "of this step",
    ]
    if not ddp:
        lines += [
            "            loss = loss_fn(model(X[batch]), y[batch])  # forward pass, and the loss",
        ]
        if penalty:
            lines.append(f"            loss = loss + {penalty}")
    else:
        lines += [
            "            # this process's share of the batch (an equal split; DistributedSampler "
            "does the same",
            "            # for your own data, with torch's shuffling)",
            "            mine = batch[rank::world]",
            "            share = loss_fn(model(X[mine]), y[mine])  # forward pass, and the loss",
            "            # DDP averages the processes' gradients: weighting each share by its "
            "size makes that",
            "            # average the gradient of the whole batch's mean loss, as in one process",
            "            loss = share * (len(mine) * world / len(batch))",
        ]
        if penalty:
            lines += [f"            penalty = {penalty}", "            loss = loss + penalty"]
    lines += [
        "            optimizer.zero_grad()",
        "            loss.backward()  # backprop: every parameter's gradient, as chainrule's "
        "backward()",
    ]
    if recipe["clip_grad_norm"] is not None:
        lines.append("            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)")
    lines.append("            optimizer.step()  # one step of the optimiser")
    if not ddp:
        lines.append("            total += loss.item() * len(batch)")
    else:
        lines += [
            "            # the whole batch's loss, for the printout: every share's, added over "
            "the processes",
            "            summed = torch.tensor(share.item() * len(mine))",
            "            dist.all_reduce(summed)",
            "            total += summed.item()"
            + (" + penalty.item() * len(batch)" if penalty else ""),
        ]
    if recipe["scheduler"] is not None:
        lines.append("        scheduler.step()")
    lines += ["        losses.append(total / len(X))", "    return losses"]
    return "\n".join(lines)


# --- The whole script ---------------------------------------------------------------------------

_HEAD = '''"""PyTorch script written by chainrule: the same network, the same weights
{training_line}It reads the chainrule model file (model.save(path, training=history)).
{ddp_doc}
{run_title}
    {run}

Every number is float64, as in chainrule.
"""

import argparse
import json
{imports}
import numpy as np
import torch
{torch_imports}from torch import nn
{torch_parallel}
torch.set_default_dtype(torch.float64)  # chainrule computes in float64: so does this script
'''

_DDP_DOC = """
The DistributedDataParallel version: the same training spread over several processes.
When to use it: when a model or its data outgrows one machine (or one GPU). Each
process holds a copy of the model and reads its share of every batch; during
backward() DDP averages the gradients of all processes, so every copy takes the same
step. What does not change: the model, the loss, the optimiser, the loop."""

_LAYOUT = """\
    # Inputs as torch lays them out: Conv1d and the pools (N, C, L), attention and the
    # Transformer block (N, L, C); a recurrent cell takes (N, input) and the state.
"""

_NAMES_COMMENT = """\
# Where each chainrule number goes. chainrule names every number (layers.0.neurons.3.w.1:
# layer 0, neuron 3, weight 1); torch keeps a layer's weights in one tensor, row = neuron,
# column = input. {0} and {1} are the row and column, {n} counts along the rows.
"""

_LOAD = '''def load_chainrule(model, numbers):
    """Copy chainrule's numbers {name: number} into the model's tensors."""
    state = model.state_dict()
    for name, pattern in NAMES.items():
        shape = state[name].shape
        if isinstance(pattern, str):
            names = [pattern.format(*i, n=n) for n, i in enumerate(np.ndindex(*shape))]
        else:
            names = pattern
        values = [numbers[each] for each in names]
        state[name] = torch.tensor(values, dtype=state[name].dtype).reshape(shape)
    model.load_state_dict(state)'''


def _main_code(recipe, model_file, ddp):
    """def main(): read the file, build, load, then train and compare (or show the model)."""
    default = json.dumps(os.fspath(model_file)) if model_file is not None else None
    option = f"default={default}" if default else "required=True"
    lines = [
        "def main():",
        "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])",
        "    parser.add_argument(",
        '        "--model",',
        f"        {option},",
        '        help="the chainrule model file (written by model.save)",',
        "    )",
        "    args = parser.parse_args()",
        '    with open(args.model, encoding="utf-8") as f:',
        "        saved = json.load(f)",
        "    model = build_model()",
    ]
    if recipe is None:
        lines += [
            '    load_chainrule(model, saved["parameters"])  # The weights chainrule saved.',
            "    print(model)",
            '    print(sum(w.numel() for w in model.state_dict().values()), "numbers loaded from",'
            " args.model)",
        ]
        return "\n".join(lines)
    lines += [
        '    if "training" not in saved:',
        "        raise SystemExit(",
        "            "
        '"No training recipe in the file: save it with model.save(path, training=history)"',
        "        )",
        '    training = saved["training"]',
        "    # The weights chainrule started from: so both trainings take the same steps.",
        '    load_chainrule(model, training["start"])',
    ]
    trained = "model"
    if ddp:
        lines += [
            "    # every process runs this file; torchrun tells each its rank and the world size",
            '    if "RANK" not in os.environ:',
            "        raise SystemExit(",
            "            "
            '"Start it with torchrun: torchrun --standalone --nproc_per_node=2 " + sys.argv[0]',
            "        )",
            '    dist.init_process_group("gloo")',
            "    # DDP copies process 0's weights to every process and averages gradients in "
            "backward()",
            "    model = DistributedDataParallel(model)",
        ]
        trained = "model.module"
    lines += [
        "    losses = train(model, training)",
        '    chainrule_losses = training.get("losses") or [None] * len(losses)',
    ]
    indent = "    "
    if ddp:
        lines.append("    if dist.get_rank() == 0:  # only process 0 prints")
        indent = "        "
    lines += [
        f"{indent}for epoch, (loss, chainrule) in enumerate(zip(losses, chainrule_losses), 1):",
        f'{indent}    line = f"epoch {{epoch:3d}}  loss {{loss:.12f}}"',
        f"{indent}    if chainrule is not None:",
        f"{indent}        gap = loss - chainrule",
        f'{indent}        line += f"  chainrule {{chainrule:.12f}}  difference {{gap:+.1e}}"',
        f"{indent}    print(line)",
        f"{indent}# After training: how far the weights are from those chainrule ended with.",
        f"{indent}ended = build_model()",
        f'{indent}load_chainrule(ended, saved["parameters"])',
        f"{indent}ours, theirs = {trained}.state_dict(), ended.state_dict()",
        f"{indent}gap = max((ours[k] - theirs[k]).abs().max().item() for k in ours)",
        f'{indent}print("largest difference from chainrule\'s trained weights:", f"{{gap:.1e}}")',
        f'{indent}# torch.save(model.state_dict(), "model.pt") keeps them in torch\'s own format.',
    ]
    if ddp:
        lines += [
            "    dist.barrier()  # all wait for process 0: gloo torn down while in use can abort",
            "    dist.destroy_process_group()",
        ]
    return "\n".join(lines)


def _summary(model):
    """The model as chainrule builds it, in short: MLP(2, [16, 16, 1], activation='relu')."""
    if type(model) is MLP:
        sizes = [len(layer.neurons) for layer in model.layers]
        args = describe(model).get("args", {})
        nin = args.get("nin", "?")
        return f"MLP({nin}, {sizes}, activation={args.get('activation')!r})"
    return type(model).__name__


def torch_script(
    model, *, training=None, model_file=None, ddp=False, lang=None, script_name="script.py"
):
    """A readable, runnable PyTorch script (float64) rebuilding `model` and, given fit's
    History (`training`), training it as fit did; `model_file` is the default --model.

    The script reads the weights from the model file (model.save(path, training=history)):
    without `training` it loads the saved weights and shows the model; with it, it trains
    from the weights fit started from and prints its loss beside chainrule's, epoch by epoch.
    ddp=True: the DistributedDataParallel version (torchrun). `script_name` is the file name
    its "Run it" line shows. Comments in `lang` ('en', 'zh-CN'; None: the current language).
    """
    lang = _language(lang)
    _check_model(model)
    recipe = None if training is None else _recipe_of(training)
    reads = next((m for m in model.modules() if isinstance(m, SEQUENCES)), None)
    if recipe is not None and reads is not None:
        raise ValueError(
            f"torch_script: the model has a {type(reads).__name__}, which reads sequences; "
            "nn.fit trains models of features, so the script can rebuild it but not train it"
        )
    if ddp and recipe is None:
        raise ValueError("torch_script: ddp=True trains: give training= (fit's History)")
    _torch("torch_script")
    import torch

    tnn, own = _torch("torch_script")
    twin, table = _build(model, "torch_script")  # to_torch's twin and its name table
    twin.to(torch.float64)
    classes = set()
    layers = _layer_code(twin, tnn, own, classes, "    ")
    outputs = None
    if recipe is not None:
        with torch.no_grad():
            outputs = twin.eval()(torch.zeros(1, len(recipe["X"][0]), dtype=torch.float64))
        outputs = outputs.shape[-1] if outputs.ndim > 1 else 1
    name = os.path.basename(os.fspath(model_file)) if model_file is not None else "MODEL.json"
    script = script_name
    if ddp:
        run = f"torchrun --standalone --nproc_per_node=2 {script} --model {name}"
    else:
        run = f"python {script} --model {name}"
    parts = [
        _HEAD.format(
            training_line=(
                "and the same training loop, so it prints the same loss every epoch.\n"
                if recipe is not None
                else ""
            ),
            ddp_doc=_DDP_DOC if ddp else "",
            run_title=(
                "Run it with 2 processes on this machine (gloo: the CPU backend; nccl on GPUs):"
                if ddp
                else "Run it:"
            ),
            run=run,
            imports="import os\nimport sys\n" if ddp else "",
            torch_imports="import torch.distributed as dist\n" if ddp else "",
            torch_parallel="from torch.nn.parallel import DistributedDataParallel\n" if ddp else "",
        ).replace("\n\n\n", "\n\n"),
    ]
    classes_code = _classes_code(classes, own)
    if classes_code:
        parts.append(classes_code.rstrip())
    summary = _summary(model)
    parts.append(
        "def build_model():\n"
        f"    # The network, layer by layer; in chainrule it is {summary}\n"
        + (_LAYOUT if any(isinstance(m, SEQUENCES) for m in model.modules()) else "")
        + f"    return {layers}"
    )
    parts.append(_NAMES_COMMENT + _names_code(twin, table))
    parts.append(_LOAD)
    if recipe is not None:
        batchnorm = any(isinstance(m, BatchNorm1d) for m in model.modules())
        parts.append(_settings_code(recipe))
        parts.append(_loss_code(recipe))
        dropout = any(isinstance(m, Dropout) and m.p > 0 for m in model.modules())
        parts.append(_train_code(recipe, outputs, ddp, batchnorm, dropout))
    parts.append(_main_code(recipe, model_file, ddp))
    parts.append('if __name__ == "__main__":\n    main()')
    text = "\n\n\n".join(part.strip("\n") for part in parts) + "\n"
    return _translate(text, lang)
