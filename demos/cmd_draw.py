"""`chainrule draw EXPR --at x=-2,y=5,z=-4`: a teacher's own example, told as a lesson tells
its own: the forward and backward passes printed, graph.svg, backprop.html and the path
view of one input written under --out (default out/draw).

    chainrule draw "tanh(w1*x1 + w2*x2 + b)" --at w1=0.5,x1=2,w2=-1,x2=1,b=0.1 --param w1,w2,b

`chainrule step EXPR --at ...` steps through the same expression in the terminal (cli.py's
step command takes these options from here). viz.expression reads the text. `--forward x`
adds forward mode for the input x: its tangent lines, and forward.html (forward mode, then
backprop, on one page).
"""

import re

import numpy as np

import viz
from autograd import topological_order
from viz.expression import ExpressionError
from viz.i18n import N_, _
from viz.notation import partial
from viz.tangent import TangentStory

from .common import Lesson, UsageError, name_of, no_layout, print_backward, print_forward

# What the command line calls what the Python API calls `at` and `params`.
OPTIONS = {"at": "--at", "params": "--param"}
LESSON_NAME = re.compile(r"[A-Za-z][\w-]*")  # chain-rule, moons: what `step NAME` is, typed alone


def add_parser(sub):
    """The `draw` command's options."""
    p = sub.add_parser(
        "draw",
        help=_("draw your own expression: its graph, backprop page and path view"),
        description=_(
            "Read an expression such as (x + y) * z, print its forward and backward passes, "
            "and write graph.svg, backprop.html and the path view of one input."
        ),
    )
    p.add_argument(
        "expression",
        metavar="EXPR",
        help=_(
            "the expression in quotes, like {example}; one that starts with - goes after --"
        ).format(example='"(x + y) * z"'),
    )
    expression_options(p)
    p.add_argument(
        "--path",
        metavar="NAME",
        help=_("the input whose paths to the output to draw (default: the first in the text)"),
    )
    p.add_argument(
        "--forward",
        metavar="NAME",
        help=_("also write forward.html: forward mode for the input NAME, then backprop"),
    )
    p.add_argument("--out", help=_("folder for its files (default: out/draw)"))
    return p


def expression_options(p):
    """--at and --param, for `draw` and for `step` (which cli.py builds)."""
    p.add_argument(
        "--at", metavar="x=-2,y=5", help=_("each name's value, with commas between them")
    )
    p.add_argument(
        "--param", metavar="w1,b", help=_("the names that are parameters (coloured as weights)")
    )


def read(text, at, params):
    """viz.expression, its mistakes said as usage errors in the current language."""
    try:
        return viz.expression(text, at=at, params=params)
    except ExpressionError as err:
        raise UsageError(err.say(options=OPTIONS)) from None


def stepped(args, lessons):
    """The expression `chainrule step` was given, or None when it names a lesson.

    A word alone (chain-rule, a typo of one) stays a lesson's name, so its complaint lists
    the lessons; with --at or --param, or written as maths, it is an expression."""
    given = args.at is not None or args.param is not None
    if args.name in lessons or (not given and LESSON_NAME.fullmatch(args.name)):
        if given:
            raise UsageError(
                _("{name} is a lesson: {at} and {param} are for an expression").format(
                    name=repr(args.name), at="--at", param="--param"
                )
            )
        return None
    return read(args.name, args.at, args.param)


def forward_input(name, root):
    """The input `--forward NAME` asks for in the graph of `root` (None without the option);
    a name that is no input (one number each, as forward mode takes it) is a usage error."""
    if name is None:
        return None
    inputs = {}
    for node in topological_order(root):
        if node.op is None and node.label and not isinstance(node.data, np.ndarray):
            inputs.setdefault(node.label, node)
    if name not in inputs:
        raise UsageError(
            _("{option} {name}: no input has that name; the inputs: {names}").format(
                option="--forward", name=repr(name), names=", ".join(inputs) or "-"
            )
        )
    return inputs[name]


def run(args):
    """Draw and tell the expression in `args`; returns the exit status."""
    typed = read(args.expression, args.at, args.param)
    names = list(typed.leaves)
    path = args.path if args.path is not None else (names[0] if names else None)
    if path is not None and path not in typed.leaves:
        raise UsageError(
            _("--path {name}: the expression has no such name; its names: {names}").format(
                name=repr(path), names=", ".join(names) or "-"
            )
        )
    forward = forward_input(getattr(args, "forward", None), typed.root)  # before any file
    title = f"{typed.root.label} = {' '.join(typed.text.split())}"
    if typed.root.op is None:  # one name or one number: nothing to write but itself
        title = typed.root.label
    lesson = Lesson("draw", N_("a teacher's own expression"), tell, title=title)
    lesson.typed, lesson.path_of, lesson.forward = typed, path, forward
    lesson(out=args.out)
    lesson.finish()
    return 0


def name_steps(root, leaves):
    """Name each unnamed step v2, v5, ... as the stepper and the player call it (its place
    in the graph's order), so the printed lines, graph.svg and backprop.html agree: two
    products would otherwise both print as `mul`."""
    for i, node in enumerate(topological_order(root)):
        if node.op is not None and not node.label and f"v{i}" not in leaves:
            node.label = f"v{i}"


def tell(lesson):
    """The lesson a typed expression makes: both passes, each input's gradient, pictures."""
    typed = lesson.typed
    root = typed.root
    name_steps(root, typed.leaves)
    print_forward(lesson, root)
    print_backward(lesson, root)  # this fills every .grad
    if typed.leaves:
        lesson.say("")
        # TRANSLATORS: {output} is the expression's output, f
        lesson.say(_("The gradient of {output} for each name:").format(output=name_of(root)))
        for name, leaf in typed.leaves.items():
            lesson.say(f"  {partial(name_of(root), name)} = {lesson.num(leaf.grad)}")
    lesson.pictures(root, params=typed.params)
    if lesson.forward is not None:
        tell_forward(lesson, root)
    name = lesson.path_of
    if name is None:
        return
    filename = f"path_{name}.svg"
    try:
        path = lesson.path(filename)
        viz.save(viz.draw_path(root, typed[name], params=typed.params, title=lesson.title), path)
        lesson.wrote(
            path,
            # TRANSLATORS: the path view: {input} is a name, {output} the expression's output
            _("every path from {input} to {output}, its local derivatives multiplied").format(
                input=name, output=name_of(root)
            ),
        )
    except viz.GraphvizNotFoundError:  # as Lesson.pictures: say so, the numbers still count
        lesson.skipped.append(no_layout(filename))


def tell_forward(lesson, root):
    """--forward NAME: forward mode's tangent lines, the check against backprop, forward.html."""
    story = TangentStory(root, lesson.forward, params=lesson.typed.params)
    lesson.say("")
    lesson.say(story.heading())
    for i in range(len(story.rows)):
        step = story.step(i)
        lesson.say("  " + " ".join([step.question[0], *(a for a in step.answer if a[0] == "=")]))
    lesson.say(story.agreement())
    try:
        path = lesson.path("forward.html")
        viz.backprop_html(
            root, path, mode="both", wrt=lesson.forward, title=lesson.title,
            params=lesson.typed.params,
        )  # fmt: skip
        lesson.wrote(
            path,
            # TRANSLATORS: forward.html: {input} is the input forward mode follows
            _("forward mode for {input}, then backprop, on one page (arrow keys)").format(
                input=lesson.forward.label
            ),
        )
    except viz.GraphvizNotFoundError:
        lesson.skipped.append(no_layout("forward.html"))
