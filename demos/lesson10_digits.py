"""Lesson 10: handwritten digits: a 64-32-10 network (tanh, softmax) reads 8x8 images.

Run it:  chainrule run digits   (needs scikit-learn for the data: pip install 'chainrule[digits]')
Look at: the test accuracy per epoch passing 95%; in digits_confusion.png the diagonal holds
almost everything, and the few off-diagonal cells say which digits get confused (8 and 1
are common ones); digits_mistakes.png shows some misread images: would you have read them right?
"""

import numpy as np

from nn.data import load_digits, train_test_split
from nn.layers import MLP
from nn.optim import Adam
from nn.train import fit, predict
from viz.format import rpad, width
from viz.i18n import N_, _

from . import plots
from .common import Lesson, MissingExtra

EPOCHS = 15
# nn.data's message when scikit-learn is missing: library errors are in English, but the
# command line shows this one to a student
NO_SKLEARN = N_("load_digits needs scikit-learn: pip install 'chainrule[digits]'")
BATCH = 64


def run(lesson):
    try:
        X, y = load_digits()
    except ModuleNotFoundError as err:
        said = _(NO_SKLEARN) if str(err) == NO_SKLEARN else err
        raise MissingExtra(
            _("the digits lesson needs {package} for its data ({error})").format(
                package="scikit-learn", error=said
            )
        ) from None
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.2, seed=lesson.seed)
    epochs = EPOCHS
    if lesson.small:  # a quick look: fewer images and epochs, the same network
        X_train, y_train, epochs = X_train[:400], y_train[:400], 5
    model = MLP(64, [32, 10], activation="tanh", init="xavier_normal", rng=lesson.seed)
    lesson.say(
        _(
            "{n} images of 8x8 pixels (scaled to [0, 1]): {train} to train on, {test} to test."
        ).format(n=len(X), train=len(X_train), test=len(X_test))
    )
    lesson.say(
        _(
            "64-32-10 network ({params} parameters), tanh hidden units, softmax + cross-entropy"
            " on the 10 logits; Adam (lr 0.01), mini-batches of {batch}."
        ).format(params=len(model.parameters()), batch=BATCH)
    )
    lesson.say(
        _("Training {epochs} epochs (a progress bar shows on a terminal)...").format(epochs=epochs)
    )
    history = fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=Adam(model.parameters(), lr=0.01),
        epochs=epochs,
        batch_size=BATCH,
        seed=lesson.seed,
        validation_data=(X_test, y_test),
        batched=True,
    )
    heads = [_("epoch"), _("train loss"), _("train acc"), _("test acc")]
    cols = [max(n, width(h)) for n, h in zip((6, 10, 9, 8), heads)]  # a wider heading widens
    lesson.say("  ".join(rpad(h, n) for h, n in zip(heads, cols)) + "  " + _("seconds"))
    e, tl, ta, va = cols
    for i in range(epochs):
        lesson.say(
            f"{i + 1:>{e}}  {history.loss[i]:>{tl}.4f}  {history.accuracy[i]:>{ta}.1%}"
            f"  {history.val_accuracy[i]:>{va}.1%}  {history.seconds[i]:.1f}"
        )
    guess = predict(model, X_test, batched=True).argmax(axis=1)
    accuracy = float(np.mean(guess == y_test))
    matrix = np.zeros((10, 10), dtype=int)
    for t, g in zip(y_test, guess):
        matrix[t, g] += 1
    pairs = sorted(
        ((matrix[t, g], t, g) for t in range(10) for g in range(10) if t != g), reverse=True
    )
    lesson.say(
        _("Test accuracy: {accuracy:.1%} ({right}/{total})").format(
            accuracy=accuracy, right=int(np.sum(guess == y_test)), total=len(y_test)
        )
    )
    # TRANSLATORS: the separator between the pairs "8 read as 9 (5x), 9 read as 1 (3x)"
    confused = _(", ").join(
        _("{true} read as {said} ({n}x)").format(true=t, said=g, n=n) for n, t, g in pairs[:3] if n
    )
    if confused:
        lesson.say(_("Most confused: {pairs}").format(pairs=confused))
    else:
        lesson.say(_("Most confused: none"))
    lesson.record(accuracy=accuracy, test_accuracy=history.val_accuracy, confusion=matrix)

    plots.curves(
        lesson,
        "digits_accuracy.png",
        {_("train"): history.accuracy, _("test"): history.val_accuracy},
        _("Digits: accuracy per epoch"),
        ylabel=_("accuracy"),
        what=_("test accuracy climbs past 95% and stays close to train"),
    )
    plots.confusion(
        lesson,
        "digits_confusion.png",
        matrix,
        _("Digits: confusion matrix on {n} test images").format(n=len(y_test)),
        what=_("rows: the true digit; columns: what the network said"),
    )
    wrong = np.flatnonzero(guess != y_test)[:8]
    if len(wrong):
        plots.images(
            lesson,
            "digits_mistakes.png",
            X_test[wrong],
            [_("true {true}, said {said}").format(true=y_test[i], said=guess[i]) for i in wrong],
            _("Some test images the network misread"),
            what=_("misread images: often genuinely ambiguous at 8x8"),
        )
    lesson.look_for(
        _(
            "the test accuracy ends at {accuracy:.1%}: {right} of the {total} test images sit on"
            " the confusion matrix's diagonal"
        ).format(accuracy=accuracy, right=int(matrix.trace()), total=len(y_test))
    )


LESSON = Lesson(
    "digits", N_("64-32-10 on 8x8 digits: accuracy per epoch, confusions, mistakes"), run
)
