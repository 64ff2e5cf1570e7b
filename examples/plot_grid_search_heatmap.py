"""
==================================================
Grid search over l1_weight and l2_weight: heat map
==================================================

The lambdas are hyperparameters like any other: this example chooses
``l1_weight`` and ``l2_weight`` of :class:`~skreg.MLPRegularizedClassifier`
by cross-validation with :class:`~sklearn.model_selection.GridSearchCV`, in
a pipeline with a scaler, and draws the mean validation accuracy of every
pair as a heat map. A second scorer records, for the same fits, the share of
first-layer weights that the L1 penalty set exactly to zero
(``l1_method='proximal'``), so the figure shows what each setting costs and
what it removes.
"""

# %%
# The search
# ----------
# The digits data set, scaled to [0, 1], with one hidden layer of 32 units.
# ``GridSearchCV`` accepts several scorers: ``"accuracy"``, which also picks
# the refitted model, and a function of the fitted pipeline that counts
# exact zeros with :meth:`~skreg.MLPRegularizedClassifier.sparsity`.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skreg import MLPRegularizedClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipeline = make_pipeline(
    MinMaxScaler(),
    MLPRegularizedClassifier(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.003,
        max_iter=100,
        l1_method="proximal",
        random_state=0,
    ),
)


def first_layer_zero_share(estimator, X, y):
    """Scorer: share of the first layer's weights that are exactly zero."""
    return estimator[-1].sparsity()["zero_weight_share"][0]


l1_values = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
l2_values = [0.0, 1e-4, 1e-3, 1e-2, 1e-1]
search = GridSearchCV(
    pipeline,
    {
        "mlpregularizedclassifier__l1_weight": l1_values,
        "mlpregularizedclassifier__l2_weight": l2_values,
    },
    scoring={"accuracy": "accuracy", "zero_share": first_layer_zero_share},
    refit="accuracy",
    cv=3,
)
# A budget of 100 epochs keeps the search fast; some fits stop there.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

best = search.best_params_
print(
    f"best: l1_weight={best['mlpregularizedclassifier__l1_weight']:g}, "
    f"l2_weight={best['mlpregularizedclassifier__l2_weight']:g}, "
    f"cross-validated accuracy {search.best_score_:.3f}, "
    f"test accuracy {search.score(X_test, y_test):.3f}"
)

# %%
# The heat maps
# -------------
# ``cv_results_`` lists the candidates in the order of ``ParameterGrid``,
# which varies the last parameter (in alphabetical order, ``l2_weight``)
# fastest: reshaped to (l1, l2), the scores form the grid directly.

shape = (len(l1_values), len(l2_values))
accuracy = search.cv_results_["mean_test_accuracy"].reshape(shape)
zero_share = search.cv_results_["mean_test_zero_share"].reshape(shape)
best_cell = np.unravel_index(np.argmax(accuracy), shape)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
panels = [
    (accuracy, "mean validation accuracy", "viridis", "{:.3f}"),
    (zero_share, "first-layer weights exactly zero", "magma", "{:.0%}"),
]
for ax, (values, title, cmap, fmt) in zip(axes, panels, strict=True):
    image = ax.imshow(values, cmap=cmap, origin="lower")
    fig.colorbar(image, ax=ax, shrink=0.8)
    for (row, column), value in np.ndenumerate(values):
        dark = value < values.min() + 0.5 * (values.max() - values.min())
        ax.text(
            column,
            row,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize="small",
            color="white" if dark else "black",
        )
    ax.add_patch(
        plt.Rectangle(
            (best_cell[1] - 0.5, best_cell[0] - 0.5), 1, 1, fill=False, lw=2.5, ec="red"
        )
    )
    ax.set_xticks(range(len(l2_values)), [f"{v:g}" for v in l2_values])
    ax.set_yticks(range(len(l1_values)), [f"{v:g}" for v in l1_values])
    ax.set_xlabel("l2_weight")
    ax.set_ylabel("l1_weight")
    ax.set_title(title)
fig.suptitle("GridSearchCV, 3 folds (red: the selected pair)")
fig.tight_layout()
plt.show()

# %%
# Reading the heat maps
# ---------------------
# Accuracy is flat over most of the grid and falls off along the right edge
# and the top row, where one penalty outweighs the data loss. Within the flat
# region the differences between neighbouring cells are of the order of the
# noise of a 3-fold cross-validation, so the selected cell is one good choice
# among several.
#
# The sparsity map shows what those choices differ in. The share of
# exactly-zero first-layer weights climbs row by row with ``l1_weight``, long
# before the accuracy gives way: at ``l1_weight=1e-3`` more than half of the
# first-layer weights are gone, at the cost of about a point of accuracy.
# The bottom row, without L1, has no exact zeros at all, whatever
# ``l2_weight`` is: the L2 penalty shrinks weights but never sets them to
# zero.
