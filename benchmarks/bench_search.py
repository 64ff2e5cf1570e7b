"""Time WarmStartGridSearchCV against GridSearchCV on the same grids.

Run from the repository root::

    python benchmarks/bench_search.py              # both grids, one run each
    python benchmarks/bench_search.py --repeats 2  # alternate the searches twice
    python benchmarks/bench_search.py --quick      # a tiny workload (seconds)
    python benchmarks/bench_search.py --only "l1 x l2" --max-iter 200

The task is one where the penalties matter: ``make_classification`` with 10
informative features among 60 and three classes, 4,000 samples split 75/25
into a training set for the searches and a test set. The estimator is a
pipeline of a ``StandardScaler`` and ``MLPRegularizedClassifier`` with one
hidden layer of 64 units (adam, ``l1_method='proximal'``, ``max_iter=1000``
so that fits stop on ``tol`` rather than on the epoch budget). Two grids,
``cv=3``:

* **l1 x l2**: 5 values of ``l1_weight`` by 3 of ``l2_weight`` (15
  candidates, 45 fits);
* **all four**: 3 x 3 x 2 x 2 values of ``l1_weight``, ``l2_weight``,
  ``l1_bias`` and ``l2_bias`` (36 candidates, 108 fits).

Both searches run in this one process (``n_jobs=1``, one BLAS thread: the
matrices are small and the machine is shared), alternately, refitting the
best candidate on the whole training set (``refit=True``, cold, the
default). Printed per grid and search: the wall time of ``fit`` (refit
included), the number of fits, the epochs they ran (counted from the growth
of ``loss_curve_`` at every fit, which does not depend on the machine's
load), the best cross-validated accuracy, and the test accuracy of the
refitted best candidate; for the warm-started search also the test accuracy
of its best candidate refitted along its path (``refit_mode='path'``). Then
the mean epochs of the warm starts by the lambda they change (the basis of
the order in which WarmStartGridSearchCV prefers parents), and the speedup
in wall time and in epochs.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skreg import MLPRegularizedClassifier, WarmStartGridSearchCV

PENALTIES = ("l1_weight", "l2_weight", "l1_bias", "l2_bias")
#: Epochs run by every fit of CountingClassifier in this process.
EPOCHS = []
#: For every warm-started fit: (the lambdas it changed, its epochs).
WARM_STARTS = []


class CountingClassifier(MLPRegularizedClassifier):
    """MLPRegularizedClassifier that records the epochs of each fit.

    A fitted model remembers its lambdas, and a copy of it (the search's
    warm start) remembers them too, so a warm-started fit knows which
    lambdas changed since the fit it starts from.
    """

    def fit(self, X, y, sample_weight=None):
        warm = self.warm_start and hasattr(self, "loss_curve_")
        before = len(self.loss_curve_) if warm else 0
        lambdas = {name: getattr(self, name) for name in PENALTIES}
        super().fit(X, y, sample_weight=sample_weight)
        EPOCHS.append(len(self.loss_curve_) - before)
        if warm:
            changed = tuple(
                name for name in PENALTIES if lambdas[name] != self.fitted_lambdas[name]
            )
            WARM_STARTS.append((changed, EPOCHS[-1]))
        self.fitted_lambdas = lambdas
        return self


def task(n_samples=4000):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=60,
        n_informative=10,
        n_redundant=0,
        n_classes=3,
        flip_y=0.02,
        random_state=0,
    )
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def pipeline(hidden=(64,), max_iter=1000):
    return Pipeline(
        [
            ("scaler", StandardScaler()),
            (
                "mlp",
                CountingClassifier(
                    hidden_layer_sizes=hidden,
                    l1_method="proximal",
                    max_iter=max_iter,
                    random_state=0,
                ),
            ),
        ]
    )


GRIDS = {
    "l1 x l2 (5 x 3)": {
        "mlp__l1_weight": [0.0, 1e-4, 3e-4, 1e-3, 3e-3],
        "mlp__l2_weight": [0.0, 1e-3, 1e-2],
    },
    "all four (3 x 3 x 2 x 2)": {
        "mlp__l1_weight": [0.0, 3e-4, 3e-3],
        "mlp__l2_weight": [0.0, 1e-3, 1e-2],
        "mlp__l1_bias": [0.0, 1e-3],
        "mlp__l2_bias": [0.0, 1e-3],
    },
}


def run(search, X_train, y_train, X_test, y_test):
    """Fit the search; return its figures."""
    EPOCHS.clear()
    WARM_STARTS.clear()
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    figures = {
        "seconds": seconds,
        "fits": len(EPOCHS) - 1,  # the refit aside
        "epochs": sum(EPOCHS),
        "best_cv": search.best_score_,
        "test": search.score(X_test, y_test),
        "best_params": search.best_params_,
        "warm_starts": list(WARM_STARTS),
    }
    if isinstance(search, WarmStartGridSearchCV):
        # What refit_mode='path' would have refitted (the same code), untimed.
        path_model = search._fit_along_path(
            X_train, y_train, search.best_index_, search.cv_results_["params"], {}
        )
        figures["path_test"] = path_model.score(X_test, y_test)
    return figures


def report(name, runs):
    print(f"\n{name}")
    print(
        f"{'search':<24}{'wall s':>8}{'fits':>6}{'epochs':>8}{'best CV':>9}"
        f"{'test':>7}{'test (path refit)':>19}  best parameters"
    )
    for label, figures in runs.items():
        path = figures.get("path_test")
        path = f"{path:>19.4f}" if path is not None else f"{'':>19}"
        params = ", ".join(
            f"{key.split('__')[-1]}={value:g}"
            for key, value in figures["best_params"].items()
        )
        print(
            f"{label:<24}{figures['seconds']:>8.1f}{figures['fits']:>6d}"
            f"{figures['epochs']:>8d}{figures['best_cv']:>9.4f}"
            f"{figures['test']:>7.4f}{path}  {params}"
        )
    cold, warm = runs["GridSearchCV"], runs["WarmStartGridSearchCV"]
    by_change = {}
    for changed, epochs in warm["warm_starts"]:
        by_change.setdefault(" and ".join(changed) or "none", []).append(epochs)
    print(
        "epochs per warm start, by the lambda it changes: "
        + "; ".join(
            f"{changed} {np.mean(epochs):.0f} ({len(epochs)} fits)"
            for changed, epochs in sorted(by_change.items())
        )
    )
    print(
        f"speedup: {cold['seconds'] / warm['seconds']:.2f}x in wall time, "
        f"{cold['epochs'] / warm['epochs']:.2f}x in epochs; best CV "
        f"{warm['best_cv'] - cold['best_cv']:+.4f}, test "
        f"{warm['test'] - cold['test']:+.4f} (warm - cold)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="a tiny workload, to check the script"
    )
    parser.add_argument(
        "--max-iter", type=int, default=1000, help="the estimator's max_iter"
    )
    parser.add_argument("--only", default="", help="the grids whose name has this")
    args = parser.parse_args()
    if args.quick:
        X_train, X_test, y_train, y_test = task(n_samples=300)
        estimator = pipeline(hidden=(8,), max_iter=20)
    else:
        X_train, X_test, y_train, y_test = task()
        estimator = pipeline(max_iter=args.max_iter)
    searches = {
        "GridSearchCV": GridSearchCV,
        "WarmStartGridSearchCV": WarmStartGridSearchCV,
    }
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, grid in GRIDS.items():
            if args.only not in name:
                continue
            for repeat in range(args.repeats):
                runs = {
                    label: run(
                        Search(estimator, grid, cv=3),
                        X_train,
                        y_train,
                        X_test,
                        y_test,
                    )
                    for label, Search in searches.items()
                }
                report(f"{name}, run {repeat + 1}", runs)


if __name__ == "__main__":
    main()
