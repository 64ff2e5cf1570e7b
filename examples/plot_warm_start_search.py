"""
=========================================
Warm-started grid search: time and scores
=========================================

:class:`~sklearn.model_selection.GridSearchCV` fits every candidate of a grid
from scratch. :class:`~skreg.WarmStartGridSearchCV` runs the same search and
fills the same ``cv_results_``, but fits the candidates that differ only in
their lambdas along paths: on each fold, the weakest candidate is fitted from
scratch and every other one starts from the fitted model of a weaker
neighbour (``warm_start=True``). This example runs both searches on one grid
over ``l1_weight`` and ``l2_weight`` and compares what each costs and what
each finds.
"""

# %%
# The two searches
# ----------------
# The digits data set, scaled to [0, 1], and one hidden layer of 32 units
# with ``l1_method='proximal'``. The epoch budget is large enough for the
# fits to stop on ``tol``: a warm start saves the epochs a fit would spend
# reaching its neighbour's solution, which a fit cut short by ``max_iter``
# never gets to save.

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skreg import MLPRegularizedClassifier, WarmStartGridSearchCV

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipeline = make_pipeline(
    MinMaxScaler(),
    MLPRegularizedClassifier(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        l1_method="proximal",
        max_iter=300,
        random_state=0,
    ),
)
l1_values = [0.0, 1e-4, 1e-3]
l2_values = [0.0, 1e-4, 1e-3]
param_grid = {
    "mlpregularizedclassifier__l1_weight": l1_values,
    "mlpregularizedclassifier__l2_weight": l2_values,
}


def epochs_so_far(estimator, X, y):
    """Scorer: the epochs the pipeline's network was trained, over its path.

    ``loss_curve_`` has one entry per epoch and keeps growing over warm
    starts, so its length counts the epochs of the fit and of the fits it
    was warm-started from.
    """
    return len(estimator[-1].loss_curve_)


settings = dict(
    scoring={"accuracy": "accuracy", "epochs": epochs_so_far},
    refit="accuracy",
    cv=3,
)
searches = {
    "GridSearchCV": GridSearchCV(pipeline, param_grid, **settings),
    "WarmStartGridSearchCV": WarmStartGridSearchCV(pipeline, param_grid, **settings),
}
seconds = {}
with warnings.catch_warnings():
    # The strongest penalties may leave a layer without weights.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, search in searches.items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds[name] = time.perf_counter() - start
        best = search.best_params_
        print(
            f"{name:<22} {seconds[name]:5.1f} s: best l1_weight="
            f"{best['mlpregularizedclassifier__l1_weight']:g}, l2_weight="
            f"{best['mlpregularizedclassifier__l2_weight']:g}, "
            f"CV accuracy {search.best_score_:.3f}, "
            f"test accuracy {search.score(X_test, y_test):.3f}"
        )


def epochs_per_fit(search):
    """Epochs of each candidate's own fit on each fold, shape (folds, candidates).

    A warm-started candidate's count, minus that of the candidate it started
    from on the same fold.
    """
    results = search.cv_results_
    so_far = np.array(
        [results[f"split{k}_test_epochs"] for k in range(search.n_splits_)]
    )
    parents = getattr(search, "warm_start_from_", np.full(so_far.shape[1], -1))
    return (so_far - np.where(parents >= 0, so_far[:, parents], 0)).astype(int)


epochs = {name: epochs_per_fit(search) for name, search in searches.items()}
print(
    f"wall time: {seconds['GridSearchCV'] / seconds['WarmStartGridSearchCV']:.1f}x "
    "faster; epochs of the cross-validation: "
    + ", ".join(f"{name} {e.sum()}" for name, e in epochs.items())
    + f" ({epochs['GridSearchCV'].sum() / epochs['WarmStartGridSearchCV'].sum():.1f}x)"
)

# %%
# Who starts from whom
# --------------------
# ``warm_start_from_`` lists, for each candidate, the candidate it starts
# from on every fold (-1: from scratch). ``l1_weight`` grows along
# ``l2_weight=0``, and ``l2_weight`` branches off at every ``l1_weight``:
# each warm start changes one lambda by one step, and changes of
# ``l1_weight``, the costliest, are made once each.

warm = searches["WarmStartGridSearchCV"]
for index, parent in enumerate(warm.warm_start_from_):
    params = warm.cv_results_["params"][index]
    l1, l2 = params.values()
    start = "scratch" if parent < 0 else f"candidate {parent}"
    print(f"candidate {index:2d}: l1_weight={l1:<6g} l2_weight={l2:<6g} from {start}")

# %%
# Time and scores
# ---------------
# Left, the wall time of each search (the refit of the best candidate
# included). Middle, the epochs of each candidate's fit, averaged over the
# folds: the first candidate is the same fit in both searches, the others
# are warm starts. Right, the mean cross-validated accuracy of each
# candidate in both searches.

labels = [f"{l1:g}, {l2:g}" for l1 in l1_values for l2 in l2_values]
positions = np.arange(len(labels))
colors = {"GridSearchCV": "tab:gray", "WarmStartGridSearchCV": "tab:orange"}

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), width_ratios=[1, 2.2, 1.6])
axes[0].bar(range(2), list(seconds.values()), color=list(colors.values()))
axes[0].set_xticks(range(2), ["GridSearchCV", "WarmStart-\nGridSearchCV"])
axes[0].set_ylabel("wall time of fit (s)")
axes[0].set_title("search")

for offset, name in zip([-0.2, 0.2], searches, strict=True):
    axes[1].bar(
        positions + offset,
        epochs[name].mean(axis=0),
        width=0.4,
        color=colors[name],
        label=name,
    )
axes[1].set_xticks(positions, labels, rotation=45, ha="right")
axes[1].set_xlabel("candidate (l1_weight, l2_weight)")
axes[1].set_ylabel("epochs per fold")
axes[1].set_title("epochs of each candidate's fit")
axes[1].legend()

cold = searches["GridSearchCV"].cv_results_["mean_test_accuracy"]
warm_scores = warm.cv_results_["mean_test_accuracy"]
low = min(cold.min(), warm_scores.min()) - 0.004
high = max(cold.max(), warm_scores.max()) + 0.004
axes[2].plot([low, high], [low, high], color="black", lw=0.8)
axes[2].scatter(cold, warm_scores, s=20, color="tab:blue")
for name, search in searches.items():
    axes[2].scatter(
        cold[search.best_index_],
        warm_scores[search.best_index_],
        s=140,
        facecolors="none",
        edgecolors=colors[name],
        lw=2,
        label=f"best of {name}",
    )
axes[2].set_xlim(low, high)
axes[2].set_ylim(low, high)
axes[2].set_xlabel("CV accuracy, GridSearchCV")
axes[2].set_ylabel("CV accuracy, WarmStartGridSearchCV")
axes[2].set_title("score of each candidate")
axes[2].legend(fontsize="small", loc="upper left")
fig.tight_layout()
plt.show()

# %%
# Reading the figure
# ------------------
# The warm starts run at most ``warm_max_iter`` epochs (20 by default)
# and are scored there; the best candidate is then continued on every fold
# with the estimator's own stopping rule (``n_continued=1``), so the best
# score is that of a fit that stopped on its own (``cv_results_`` marks the
# budgeted and continued candidates). On a grid this small, with cold fits
# of a few hundred epochs, the gain is modest; it grows with the number of
# candidates per chain and with the length of a fit from scratch.
#
# The scores of the two searches are close, not equal: a warm-started
# candidate is a model on a path, started from its neighbour's solution,
# not an independent fit, and the network's loss is not convex. Both
# searches refit their best candidate from scratch on the whole training
# set (``refit=True``), so the refitted model is the one GridSearchCV would
# give for the lambdas chosen; ``refit_mode='path'`` refits it along its
# path instead. See :ref:`searching`.
