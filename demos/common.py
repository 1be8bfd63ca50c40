"""What every lesson shares: printing forward and backward passes, numbers, pictures, output."""

import os
import pathlib
import re
import sys

import viz
from autograd import backward_steps, topological_order
from autograd.value import _fmt
from viz.format import rpad
from viz.i18n import _
from viz.narrate import expression, paren
from viz.notation import partial, rule

# w0, w1_00, b, b2, gamma1, beta1 (normalisation's scale and shift): how lessons name parameters
WEIGHT = re.compile(r"(?:[wb]|gamma|beta)(\d|_|$)")
SEEDS = 2**32  # a lesson's seeds run 0 .. SEEDS - 1: numpy's RandomState (make_moons) refuses more


def parameters_of(root):
    """The weights and biases under `root`: the leaves the lessons name w... and b..."""
    return [n for n in topological_order(root) if n.op is None and WEIGHT.match(n.label)]


def out_dir(name):
    """The folder the notebook writes `name`'s files to: <repo>/out/name in a checkout, else
    ./out/name in the current folder (chainrule installed from a wheel, with no checkout).

    Jupyter runs a notebook in the notebook's own folder (demos/), so a plain "out" would land
    in demos/out. $CHAINRULE_OUT, when set, stands in for the out folder (tests point it at a
    temporary one). Nothing is made here: the first file written makes the folder.
    """
    root = os.environ.get("CHAINRULE_OUT")
    if not root:
        checkout = pathlib.Path(__file__).resolve().parents[1]  # the folder above demos/
        in_checkout = (checkout / "pyproject.toml").is_file()
        root = (checkout if in_checkout else pathlib.Path.cwd()) / "out"
    return pathlib.Path(root) / name


def complain(status, text):
    """Say `text` as one line on stderr (when there is one); returns the exit status."""
    if sys.stderr is not None:  # `2>&-`: print(file=None) would write to stdout instead
        print(f"chainrule: {text}", file=sys.stderr)
    return status


class UsageError(Exception):
    """A mistake on the command line: `chainrule` says it in one line on stderr, exit status 2."""


class MissingExtra(Exception):
    """A lesson needs an optional package that is not installed; the message says which."""


class Lesson:
    """A named, runnable lesson: `run(lesson)` prints and records, `build()` gives its graph.

    title: the heading of its pictures and player page, short enough for the page's top bar.
    summary and title are given in English (marked N_) and read in the language in force, so
    `chainrule list` and the pictures follow --lang; the name is typed, so it stays English.
    """

    def __init__(self, name, summary, run, build=None, title=None):
        self.name, self._summary, self._run, self.build = name, summary, run, build
        self._title = title or summary

    @property
    def summary(self):
        """The one-line summary `chainrule list` shows, in the current language."""
        return _(self._summary)

    @property
    def title(self):
        """The heading of its pictures and player page, in the current language."""
        return _(self._title)

    def __call__(self, out=None, seed=0, plots=True, small=False, echo=print):
        """Run it; returns a dict of the numbers it printed (tests check them)."""
        self.out = out or os.path.join("out", self.name)
        self.seed, self.plots, self.small, self.echo = seed, plots, small, echo
        self.results, self.files, self.skipped, self.notes = {}, [], [], []
        self._run(self)
        return self.results

    def say(self, text=""):
        self.echo(text)

    @staticmethod
    def num(x):
        return _fmt(float(x))

    def record(self, **numbers):
        self.results.update(numbers)

    def path(self, filename):
        """A file under the lesson's output folder (made on demand)."""
        os.makedirs(self.out, exist_ok=True)
        return os.path.join(self.out, filename)

    def wrote(self, path, what):
        self.files.append((path, what))

    def look_for(self, text):
        """A line for the closing 'Look for' list: what the student should notice."""
        self.notes.append(text)

    def pictures(
        self, root, filename="graph.svg", what=None, player=True, mode="reverse", page=None,
        **options,
    ):  # fmt: skip
        """Write the graph SVG (draw_dot's options) and, with player, the backprop page for it.

        Both carry the lesson's title, and the page colours `params=` as graph.svg does.
        mode: the page's sweeps, as backprop_html takes it; "forward" and "both" follow the
        input `wrt=`, by which graph.svg then shows each box's tangent. page: what the page
        is, in the closing list.
        """
        try:
            path = self.path(filename)
            viz.save(viz.draw_dot(root, title=self.title, **options), path)
            self.wrote(path, what or _("the graph: values, gradients, local derivatives on edges"))
        except viz.GraphvizNotFoundError:  # say so, keep going: the numbers still count
            self.skipped.append(no_layout(filename))
        if player:
            try:  # the page embeds dot's layout of the graph, so it needs Graphviz too
                path = self.path("backprop.html")
                sweeps = {} if mode == "reverse" else {"mode": mode, "wrt": options.get("wrt")}
                viz.backprop_html(
                    root, path, title=self.title, params=options.get("params"), **sweeps
                )
                self.wrote(
                    path,
                    page or _("step through backprop in a browser (arrow keys; Q for quiz mode)"),
                )
            except viz.GraphvizNotFoundError:
                self.skipped.append(no_layout("backprop.html"))

    def finish(self):
        if self.files:
            self.say("")
            self.say(_("Open:"))
            for path, what in self.files:
                self.say(f"  {path}  - {what}")
        if self.notes:
            self.say("")
            self.say(_("Look for:"))
            for text in self.notes:
                self.say(f"  - {text}")
        for item in self.skipped:
            self.say(_("(skipped {item})").format(item=item))


def no_layout(filename):
    """Why a picture was skipped when no Graphviz layout program is found, and the cure."""
    return _("{filename} (no layout program: pip install graphviz-pure)").format(filename=filename)


def name_of(node):
    return node.label or (node.op.name if node.op else _fmt(node.data))


def print_forward(lesson, root):
    """One line per node, inputs first: label = expression = value."""
    lesson.say(_("Forward pass (inputs before the nodes made from them):"))
    for node in topological_order(root):
        name = rpad(name_of(node), 10)  # by display width: a Chinese label takes 2 per character
        if node.inputs:
            args = f" {node.op.symbol} ".join(name_of(i) for i in node.inputs)
            if len(node.inputs) == 1:
                args = f"{node.op.label}({args})"
            lesson.say(f"  {name} = {args} = {lesson.num(node.data)}")
        else:
            lesson.say(f"  {name} = {lesson.num(node.data)}")


def local_factor(node, slot):
    """Input `slot`'s local derivative as the narration writes it: ∂(q * z)/∂z = q."""
    names = [name_of(i) for i in node.inputs]
    formula = expression(node.op, names)
    return partial(formula, names[slot]), rule(node.op, slot, names, name_of(node))


def print_backward(lesson, root):
    """One block per node in backward order: its gradient and what it passes to each input."""
    num, top = lesson.num, name_of(root)
    lesson.say("")
    lesson.say(_("Backward pass (each input receives upstream gradient · local derivative):"))
    steps = []
    for step in backward_steps(root):
        steps.append(step)
        lesson.say(f"  {partial(top, name_of(step.node))} = {num(step.grad)}")
        for slot, (inp, local, contribution) in enumerate(
            zip(step.inputs, step.locals, step.contributions)
        ):
            factor, said = local_factor(step.node, slot)
            said = "" if said == num(local) or said == f"{local:g}" else f"{said} = "
            # TRANSLATORS: one edge of the backward pass; "local" is the local derivative.
            line = _("-> {input}: local {factor} = {rule}{local};  {grad} · {times} = {product}")
            shown = line.format(
                input=name_of(inp),
                factor=factor,
                rule=said,
                local=num(local),
                grad=num(step.grad),
                times=paren(num(local)),
                product=num(contribution),
            )
            lesson.say(f"      {shown}")
    return steps


def stderr(text):
    print(text, file=sys.stderr)
