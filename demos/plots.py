"""The lessons' plots, in one place, drawn with matplotlib (the optional `plot` extra).

Every function takes the lesson (for its output folder and its list of skipped plots) and
returns the path it wrote, or None when matplotlib is missing or plots are turned off.
Files are written with viz.render.write_atomic, so a half-written PNG is never left.
Words in plots follow the current language; Chinese needs a CJK font (see `_fonts`).
"""

import io
import os
import warnings

import numpy as np

from viz.i18n import _, current
from viz.render import write_atomic

# Fonts with Chinese glyphs, one per platform first: Windows, macOS, then Linux's usual ones.
CJK_FONTS = (
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
)
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _pyplot(lesson, what):
    """matplotlib's pyplot on a file-only backend, or None (and a note of what was skipped)."""
    if not lesson.plots:
        lesson.skipped.append(_("{what} (--no-plots)").format(what=what))
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        said = _("{what}: matplotlib is missing (pip install 'chainrule[plot]')")
        lesson.skipped.append(said.format(what=what))
        return None
    plt.rcParams.update({"figure.dpi": 110, "font.size": 11, "axes.grid": True, "grid.alpha": 0.3})
    plt.rcParams.update(_fonts(lesson, matplotlib))
    return plt


def _fonts(lesson, matplotlib):
    """The rcParams for the current language's text: matplotlib's own for English; for Chinese
    the CJK fonts installed here, then DejaVu Sans.

    matplotlib 3.6 and later take each glyph from the first family in the list that has it,
    so DejaVu Sans fills in what a CJK font lacks (∂, the minus sign) and the axes keep their
    true minus sign; older ones use only the first family, so there the axes use '-', which
    every font has. Only the installed fonts are listed: each missing one would be a warning.
    """
    if current() == "en":
        return {"font.family": "sans-serif", "axes.unicode_minus": True}
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    found = [name for name in CJK_FONTS if name in installed]
    if not found and not getattr(lesson, "told_no_font", False):
        lesson.told_no_font = True  # once per run, at its first plot
        lesson.say(
            _(
                "(no Chinese font found, so the plots' Chinese shows as empty boxes: "
                "install one such as Noto Sans CJK SC, e.g. apt install fonts-noto-cjk)"
            )
        )
    fallback = tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 6)
    return {"font.family": [*found, "DejaVu Sans"], "axes.unicode_minus": fallback or not found}


def _log_axis(ax):
    """A log-scale y axis: 0.2, 0.3, 0.5, 1 over a short range, powers of ten over a long one."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_yscale("log")
    ax.autoscale_view()
    low, high = ax.get_ylim()
    if high / low >= 1e4:  # many decades: matplotlib's own 10^n labels read best
        return
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    if high / low < 50:  # under about a decade and a half: label 0.2, 0.3, 0.5 too
        ax.yaxis.set_minor_formatter(
            FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else "")
        )
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def _save(lesson, plt, fig, filename, what, layout=True):
    path = lesson.path(filename)
    with warnings.catch_warnings():
        if getattr(lesson, "told_no_font", False):  # said once already, not once per glyph
            warnings.filterwarnings("ignore", "Glyph .* missing from font")
        if layout:
            fig.tight_layout()
        image = io.BytesIO()
        fig.savefig(image, format=os.path.splitext(path)[1].lstrip("."))
    plt.close(fig)
    write_atomic(path, image.getvalue())  # a unique temp name: two runs may share one --out
    lesson.wrote(path, what)
    return path


def curves(
    lesson,
    filename,
    series,
    title,
    xlabel=None,
    ylabel=None,
    log=False,
    what=None,
    pairs=False,
    top=None,
):
    """One line per named series: {name: [y0, y1, ...]}; pairs: (solid, dashed) share a colour.

    xlabel, ylabel: default "epoch" and "loss", in the current language.
    top: the highest y shown; a curve above it runs off the top of the plot.
    """
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    many = len(series) > 3  # then the legend goes beside the plot, never over a curve
    fig, ax = plt.subplots(figsize=(9.5 if many else 7, 4.2))
    for i, (name, ys) in enumerate(series.items()):
        colour = COLOURS[(i // 2 if pairs else i) % len(COLOURS)]
        dash = "--" if pairs and i % 2 else "-"
        if top is not None:  # drawn just past the top edge, so the line leaves the plot
            ys = [min(y, 2 * top) for y in ys]
        ax.plot(range(1, len(ys) + 1), ys, dash, label=name, color=colour, linewidth=2)
    if top is not None:
        low = min(min(ys) for ys in series.values() if len(ys))
        ax.set_yscale("log" if log else "linear")
        ax.set_ylim(low / 1.25 if log else min(low, 0.0), top)
    if log:
        _log_axis(ax)
    xlabel, ylabel = (
        _("epoch") if xlabel is None else xlabel,
        _("loss") if ylabel is None else ylabel,
    )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if many:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
    else:
        ax.legend()
    return _save(lesson, plt, fig, filename, what)


def decision_regions(lesson, filename, predict, X, y, title, what=None, lines=None, wrong=None):
    """Shade where `predict(points)` says each class; dots for the data; optional lines.

    `predict` takes an (n, 2) array and returns n scores (class = score > 0).
    `lines` is a list of (w0, w1, b, label): the line w0*x + w1*y + b = 0 is drawn.
    `wrong` marks the examples the model gets wrong (a boolean per example) with a red ring.
    """
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 5))
    _regions(ax, predict, X, y, title, lines, wrong)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)  # never over a dot
    return _save(lesson, plt, fig, filename, what)


def decision_panels(lesson, filename, panels, X, y, title, what=None):
    """Several models' regions side by side: panels is a list of (subtitle, predict, wrong)."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6), squeeze=False)
    for ax, (subtitle, predict, wrong) in zip(axes.ravel(), panels):
        _regions(ax, predict, X, y, subtitle, None, wrong)
    key = {}  # every panel's entries once: the first panel may have no "wrong" ring
    for ax in axes.ravel():
        for handle, label in zip(*ax.get_legend_handles_labels()):
            key.setdefault(label, handle)
    handles, labels = list(key.values()), list(key)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=10, frameon=False)
    return _save(lesson, plt, fig, filename, what, layout=False)


def _regions(ax, predict, X, y, title, lines, wrong):
    X, y = np.asarray(X, float), np.asarray(y)
    pad = 0.5
    x0, x1 = X[:, 0].min() - pad, X[:, 0].max() + pad
    y0, y1 = X[:, 1].min() - pad, X[:, 1].max() + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
    scores = np.asarray(predict(np.c_[gx.ravel(), gy.ravel()]), float).reshape(gx.shape)
    ax.contourf(
        gx, gy, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#cfe3f3", "#f9dcc4"], alpha=0.9
    )
    ax.contour(gx, gy, scores, levels=[0.0], colors="#333333", linewidths=1)
    positive = y > 0
    size = 90 if len(X) <= 40 else 30  # a truth table's four points should be seen from the back
    ax.scatter(
        X[~positive, 0],
        X[~positive, 1],
        c=COLOURS[0],
        edgecolors="white",
        s=size,
        label=_("class 0 / -1"),
    )
    ax.scatter(
        X[positive, 0],
        X[positive, 1],
        c=COLOURS[5],
        edgecolors="white",
        s=size,
        label=_("class 1"),
    )
    if wrong is not None and np.any(wrong):
        wrong = np.asarray(wrong, bool)
        ax.scatter(
            X[wrong, 0],
            X[wrong, 1],
            s=size * 4,
            facecolors="none",
            edgecolors="#d62728",
            linewidths=2,
            label=_("wrong"),
        )
    styles = [
        ("--", "#333333"),
        (":", "#7b3294"),
        ("-.", "#1b7837"),
        ((0, (5, 1, 1, 1)), "#8c510a"),
    ]
    for (w0, w1, b, label), (dash, colour) in zip(lines or [], styles * 4):
        xs = np.linspace(x0, x1, 2)
        if abs(w1) > 1e-12:
            ys = -(w0 * xs + b) / w1
            ax.plot(xs, ys, linestyle=dash, color=colour, linewidth=2, label=label)
        elif abs(w0) > 1e-12:
            ax.axvline(-b / w0, linestyle=dash, color=colour, linewidth=2, label=label)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), title=title)


def functions(lesson, filename, panels, title, what=None):
    """A grid of small plots: panels is a list of (name, xs, {curve label: ys})."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    cols = 4
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.6 * rows), squeeze=False)
    for ax, (name, xs, curves_) in zip(axes.ravel(), panels):
        for (label, ys), colour in zip(curves_.items(), COLOURS):
            ax.plot(xs, ys, label=label, color=colour, linewidth=2)
        ax.set_title(name)
        ax.axhline(0, color="#999999", linewidth=0.8)
        ax.axvline(0, color="#999999", linewidth=0.8)
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(title)
    return _save(lesson, plt, fig, filename, what)


def bars(lesson, filename, groups, title, ylabel, log=True, what=None):
    """Grouped bars: groups is {series name: {bar label: value}}."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    names = list(groups)
    labels = list(next(iter(groups.values())))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    for i, (name, colour) in enumerate(zip(names, COLOURS)):
        values = [groups[name][lab] for lab in labels]
        if log:  # a zero has no place on a log axis: a sliver of a bar instead
            values = [max(v, 1e-300) for v in values]
        ax.bar(np.arange(len(labels)) + i * width, values, width, label=name, color=colour)
    ax.set_xticks(np.arange(len(labels)) + width * (len(names) - 1) / 2, labels)
    if log:
        _log_axis(ax)
    ax.set(title=title, ylabel=ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)  # never over a bar
    return _save(lesson, plt, fig, filename, what)


def confusion(lesson, filename, matrix, title, what=None):
    """A confusion matrix with counts in the cells."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(matrix, cmap="Blues")
    ax.grid(False)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if count > matrix.max() / 2 else "black"
            ax.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=9)
    ax.set(
        title=title,
        xlabel=_("predicted"),
        ylabel=_("true"),
        xticks=range(len(matrix)),
        yticks=range(len(matrix)),
    )
    return _save(lesson, plt, fig, filename, what)


def images(lesson, filename, pictures, captions, title, what=None):
    """Small grey 8x8 images in a row, each with a caption."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    n = len(pictures)
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 2.2), squeeze=False)
    for ax, picture, caption in zip(axes.ravel(), pictures, captions):
        ax.imshow(np.asarray(picture).reshape(8, 8), cmap="gray_r")
        ax.set_title(caption, fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    return _save(lesson, plt, fig, filename, what)


def lines(lesson, filename, xs, series, title, xlabel="x", ylabel="y", marks=(), what=None):
    """Curves over shared xs: series is {name: ys}; marks are (x, y, text) points to label."""
    what = what or title
    plt = _pyplot(lesson, what)
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (name, ys), colour in zip(series.items(), COLOURS * 4):
        ax.plot(xs, ys, label=name, color=colour, linewidth=2)
    for x, y, text in marks:
        ax.plot([x], [y], "o", color="#333333")
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(8, 8), fontsize=10)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(series) > 1:
        ax.legend()
    return _save(lesson, plt, fig, filename, what)
