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

from . import plots
from .common import Lesson, MissingExtra

EPOCHS = 15
BATCH = 64


def run(lesson):
    try:
        X, y = load_digits()
    except ModuleNotFoundError as err:
        raise MissingExtra(f"the digits lesson needs scikit-learn for its data ({err})") from None
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.2, seed=lesson.seed)
    epochs = EPOCHS
    if lesson.small:  # a quick look: fewer images and epochs, the same network
        X_train, y_train, epochs = X_train[:400], y_train[:400], 5
    model = MLP(64, [32, 10], activation="tanh", init="xavier_normal", rng=lesson.seed)
    lesson.say(
        f"{len(X)} images of 8x8 pixels (scaled to [0, 1]): {len(X_train)} to train on,"
        f" {len(X_test)} to test."
    )
    lesson.say(
        f"64-32-10 network ({len(model.parameters())} parameters), tanh hidden units, softmax"
        f" + cross-entropy on the 10 logits; Adam (lr 0.01), mini-batches of {BATCH}."
    )
    lesson.say(f"Training {epochs} epochs (a progress bar shows on a terminal)...")
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
    lesson.say(f"{'epoch':>6}  {'train loss':>10}  {'train acc':>9}  {'test acc':>8}  seconds")
    for i in range(epochs):
        lesson.say(
            f"{i + 1:>6}  {history.loss[i]:>10.4f}  {history.accuracy[i]:>9.1%}"
            f"  {history.val_accuracy[i]:>8.1%}  {history.seconds[i]:.1f}"
        )
    guess = predict(model, X_test, batched=True).argmax(axis=1)
    accuracy = float(np.mean(guess == y_test))
    matrix = np.zeros((10, 10), dtype=int)
    for t, g in zip(y_test, guess):
        matrix[t, g] += 1
    pairs = sorted(
        ((matrix[t, g], t, g) for t in range(10) for g in range(10) if t != g), reverse=True
    )
    lesson.say(f"Test accuracy: {accuracy:.1%} ({int(np.sum(guess == y_test))}/{len(y_test)})")
    confused = ", ".join(f"{t} read as {g} ({n}x)" for n, t, g in pairs[:3] if n)
    lesson.say(f"Most confused: {confused or 'none'}")
    lesson.record(accuracy=accuracy, test_accuracy=history.val_accuracy, confusion=matrix)

    plots.curves(
        lesson,
        "digits_accuracy.png",
        {"train": history.accuracy, "test": history.val_accuracy},
        "Digits: accuracy per epoch",
        ylabel="accuracy",
        what="test accuracy climbs past 95% and stays close to train",
    )
    plots.confusion(
        lesson,
        "digits_confusion.png",
        matrix,
        f"Digits: confusion matrix on {len(y_test)} test images",
        what="rows: the true digit; columns: what the network said",
    )
    wrong = np.flatnonzero(guess != y_test)[:8]
    if len(wrong):
        plots.images(
            lesson,
            "digits_mistakes.png",
            X_test[wrong],
            [f"true {y_test[i]}, said {guess[i]}" for i in wrong],
            "Some test images the network misread",
            what="misread images: often genuinely ambiguous at 8x8",
        )
    lesson.look_for(
        f"the test accuracy ends at {accuracy:.1%}: {int(matrix.trace())} of the {len(y_test)}"
        " test images sit on the confusion matrix's diagonal"
    )


LESSON = Lesson("digits", "64-32-10 on 8x8 digits: accuracy per epoch, confusions, mistakes", run)
