"""`chainrule export MODEL.json --torch out.py`: the model as a PyTorch script a student can run.

    chainrule export moons.json --torch moons_torch.py          # then: python moons_torch.py
    chainrule export moons.json --torch moons_ddp.py --ddp      # then: torchrun ... moons_ddp.py

MODEL.json is a file model.save(path, training=history) wrote: nn.load_model rebuilds the model
from it and nn.torch_script writes the script, which trains it as fit did when the file keeps
fit's recipe. This module reads the command line and says what was written and how to run it.
"""

import os

from nn.module import load_model, read_model_file
from nn.torch_script import torch_script
from viz import i18n
from viz.i18n import _
from viz.render import write_atomic

from .common import MissingExtra, UsageError, complain


def add_parser(sub):
    """The `export` subcommand and its options."""
    p = sub.add_parser(
        "export",
        help=_("write a saved model as a PyTorch script that rebuilds and trains it"),
        description=_(
            "Read MODEL.json (written by `model.save`) and write a short PyTorch script that "
            "rebuilds the same network with torch.nn, loads its weights and, when the file "
            "keeps how nn.fit trained it (`model.save(path, training=history)`), trains it on "
            "the same data in the same order, printing its loss beside chainrule's each epoch."
        ),
        epilog=_(
            "The script needs PyTorch: pip install 'chainrule[torch]'. --ddp writes the "
            "`DistributedDataParallel` version, for a model or data that outgrows one machine: "
            "run it with `torchrun`."
        ),
    )
    p.add_argument("model", metavar="MODEL.json", help=_("a model file written by `model.save`"))
    p.add_argument(
        "--torch",
        required=True,
        metavar="OUT.py",
        help=_("the PyTorch script to write"),
    )
    p.add_argument(
        "--ddp",
        action="store_true",
        help=_("write the `DistributedDataParallel` version (several processes, `torchrun`)"),
    )
    return p


def run(args):
    """Write the script for args.model to args.torch; returns the exit status."""
    if os.path.abspath(args.torch) == os.path.abspath(args.model):
        raise UsageError(
            _("--torch {out} is the model file itself: name another file").format(
                out=repr(args.torch)
            )
        )
    try:
        saved = read_model_file(args.model, repr(args.model))  # its errors name the file
        model = load_model(args.model)
    except FileNotFoundError:  # a failure, as `chainrule check` says of a missing key
        return complain(1, _("there is no model file {path}").format(path=repr(args.model)))
    except (OSError, ValueError) as err:
        return complain(1, err)
    training = saved.get("training")
    if args.ddp and training is None:
        return complain(
            1,
            _(
                "{path} keeps no training recipe, and --ddp trains: save the model with "
                "`model.save(path, training=history)`"
            ).format(path=repr(args.model)),
        )
    try:
        script = torch_script(
            model,
            training=training,
            model_file=args.model,
            ddp=args.ddp,
            lang=i18n.current(),
            script_name=os.path.basename(args.torch),
        )
    except ImportError:
        raise MissingExtra(
            _("`export --torch` needs PyTorch: {install}").format(
                install="pip install 'chainrule[torch]'"
            )
        ) from None
    except (TypeError, ValueError) as err:  # a piece with no script, a recipe with no torch form
        return complain(1, err)
    try:
        write_atomic(args.torch, script)
    except OSError as err:
        return complain(1, _("cannot write the script: {error}").format(error=err))
    if training is None:
        print(
            _("Wrote {out}: the model in PyTorch, with the weights from {model}.").format(
                out=args.torch, model=args.model
            )
        )
    else:
        print(
            _(
                "Wrote {out}: the model in PyTorch, trained as nn.fit trained it "
                "({epochs} epochs), its loss printed beside chainrule's."
            ).format(out=args.torch, epochs=training.get("epochs", "?"))
        )
    if args.ddp:
        command = f"torchrun --standalone --nproc_per_node=2 {args.torch}"
    else:
        command = f"python {args.torch}"
    print(_("Run it: {command}").format(command=command))
    return 0
