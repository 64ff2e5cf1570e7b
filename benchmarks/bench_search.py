"""Time WarmStartGridSearchCV against GridSearchCV on the same grids.

Run from the repository root::

    python benchmarks/bench_search.py               # the four tasks, one run each
    python benchmarks/bench_search.py --repeats 3   # medians of three alternated runs
    python benchmarks/bench_search.py --quick       # a tiny workload (seconds)
    python benchmarks/bench_search.py --only digits --warm-max-iter 50

Four tasks, ``cv=3``, each a pipeline of a scaler and a skreg estimator
whose fits stop on ``tol`` rather than on ``max_iter``:

* **adam 5 x 3**: ``make_classification`` with 10 informative features among
  60 and three classes, 4,000 samples split 75/25 into a training set for
  the searches and a test set; ``StandardScaler`` and
  ``MLPRegularizedClassifier`` with one hidden layer of 64 units (adam,
  ``l1_method='proximal'``, ``max_iter=1000``); 5 values of ``l1_weight`` by
  3 of ``l2_weight`` (15 candidates);
* **adam 36**: the same, 3 x 3 x 2 x 2 values of ``l1_weight``,
  ``l2_weight``, ``l1_bias`` and ``l2_bias`` (36 candidates);
* **digits 5 x 3**: the digits (8 x 8 images, 10 classes), scaled to
  [0, 1], split 75/25; the same classifier; 5 values of ``l1_weight`` by 3
  of ``l2_weight``;
* **lbfgs friedman1**: Friedman #1 (5 informative features and 15 of pure
  noise, noise 1.0), 1,000 samples split 75/25; ``StandardScaler`` and
  ``MLPRegularizedRegressor`` with one hidden layer of 32 units (lbfgs,
  ``l1_method='proximal'``, ``max_iter=2000``), scored by R^2; 3 values of
  ``l1_weight``, 3 of ``l2_weight`` and 2 of ``l1_bias`` (18 candidates).

Both searches run in this one process (``n_jobs=1``, one BLAS thread: the
matrices are small and the machine is shared), alternately, refitting the
best candidate on the whole training set (``refit=True``, cold, the
default). Printed per task and search: the wall time of ``fit`` (refit
included; the median of the repeats), the number of fits, the epochs
(lbfgs: iterations) they ran, counted from every fit's ``n_iter_`` and so
independent of the machine's load, the best cross-validated score and its
standard error (the standard deviation of the best candidate's fold
scores over the square root of the number of folds), the chosen lambdas,
and the test score of the refitted best candidate (for the warm-started
search also that of its best candidate refitted along its path,
``refit_mode='path'``, untimed); then the speedups.
"""

import argparse
import json
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_limits

from skreg import (
    MLPRegularizedClassifier,
    MLPRegularizedRegressor,
    WarmStartGridSearchCV,
)

#: Epochs (lbfgs: iterations) run by every fit of a Counting estimator in
#: this process, cleared by :func:`run`.
EPOCHS = []


class CountingMixin:
    """Records the epochs (or lbfgs iterations) of each fit in EPOCHS."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        EPOCHS.append(self.n_iter_)
        return self


class CountingClassifier(CountingMixin, MLPRegularizedClassifier):
    pass


class CountingRegressor(CountingMixin, MLPRegularizedRegressor):
    pass


def task(n_samples=4000):
    """The classification task: ``X_train, X_test, y_train, y_test``."""
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


def digits_task(n_samples=None):
    X, y = load_digits(return_X_y=True)
    X, y = X[:n_samples], y[:n_samples]
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def friedman_task(n_samples=1000):
    X, y = make_friedman1(n_samples=n_samples, n_features=20, noise=1.0, random_state=0)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def pipeline(hidden=(64,), max_iter=1000, scaler=StandardScaler):
    return Pipeline(
        [
            ("scaler", scaler()),
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


def regression_pipeline(hidden=(32,), max_iter=2000):
    return Pipeline(
        [
            ("scaler", StandardScaler()),
            (
                "mlp",
                CountingRegressor(
                    hidden_layer_sizes=hidden,
                    solver="lbfgs",
                    l1_method="proximal",
                    max_iter=max_iter,
                    random_state=0,
                ),
            ),
        ]
    )


L1_X_L2 = {
    "mlp__l1_weight": [0.0, 1e-4, 3e-4, 1e-3, 3e-3],
    "mlp__l2_weight": [0.0, 1e-3, 1e-2],
}

#: name -> (data, estimator, grid); the quick variants are tiny.
TASKS = {
    "adam 5 x 3": (task, pipeline, L1_X_L2),
    "adam 36": (
        task,
        pipeline,
        {
            "mlp__l1_weight": [0.0, 3e-4, 3e-3],
            "mlp__l2_weight": [0.0, 1e-3, 1e-2],
            "mlp__l1_bias": [0.0, 1e-3],
            "mlp__l2_bias": [0.0, 1e-3],
        },
    ),
    "digits 5 x 3": (
        digits_task,
        lambda **kw: pipeline(scaler=MinMaxScaler, **kw),
        {
            "mlp__l1_weight": [0.0, 1e-5, 1e-4, 3e-4, 1e-3],
            "mlp__l2_weight": [0.0, 1e-4, 1e-3],
        },
    ),
    "lbfgs friedman1": (
        friedman_task,
        regression_pipeline,
        {
            "mlp__l1_weight": [0.0, 1e-3, 1e-2],
            "mlp__l2_weight": [0.0, 1e-3, 1e-2],
            "mlp__l1_bias": [0.0, 1e-2],
        },
    ),
}


def run(search, X_train, y_train, X_test, y_test):
    """Fit the search; return its figures."""
    EPOCHS.clear()
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    fits, epochs = len(EPOCHS) - 1, sum(EPOCHS)  # the refit's in epochs, not fits
    results = search.cv_results_
    best = search.best_index_
    path_test = None
    if isinstance(search, WarmStartGridSearchCV):
        # What refit_mode='path' would have refitted (the same code), untimed.
        path_test = search._fit_along_path(
            X_train, y_train, best, results["params"], {}
        ).score(X_test, y_test)
    return {
        "seconds": seconds,
        "fits": fits,
        "epochs": epochs,
        "best_cv": float(search.best_score_),
        "best_cv_se": float(
            results["std_test_score"][best] / np.sqrt(search.n_splits_)
        ),
        "test": float(search.score(X_test, y_test)),
        "path_test": path_test,
        "best_params": {
            key.split("__")[-1]: value for key, value in search.best_params_.items()
        },
        "continued": int(np.count_nonzero(results.get("continued", []))),
    }


def report(name, runs):
    """Print one task's table; ``runs`` maps a search's label to its figures."""
    print(f"\n{name}")
    print(
        f"{'search':<24}{'wall s':>8}{'fits':>6}{'epochs':>8}{'best CV':>9}"
        f"{'(se)':>8}{'test':>8}{'path refit':>11}  best lambdas"
    )
    for label, figures in runs.items():
        params = ", ".join(
            f"{key}={value:g}" for key, value in sorted(figures["best_params"].items())
        )
        path = figures.get("path_test")
        path = f"{path:>11.4f}" if path is not None else f"{'':>11}"
        print(
            f"{label:<24}{figures['seconds']:>8.1f}{figures['fits']:>6d}"
            f"{figures['epochs']:>8d}{figures['best_cv']:>9.4f}"
            f"{figures['best_cv_se']:>8.4f}{figures['test']:>8.4f}{path}  {params}"
        )
    if {"GridSearchCV", "WarmStartGridSearchCV"} <= set(runs):
        cold, warm = runs["GridSearchCV"], runs["WarmStartGridSearchCV"]
        print(
            f"speedup: {cold['seconds'] / warm['seconds']:.1f}x in wall time, "
            f"{cold['epochs'] / warm['epochs']:.1f}x in epochs; best CV "
            f"{warm['best_cv'] - cold['best_cv']:+.4f} "
            f"({(warm['best_cv'] - cold['best_cv']) / cold['best_cv_se']:+.1f} se), "
            f"test {warm['test'] - cold['test']:+.4f} (warm - cold); "
            f"{warm['continued']} candidates continued"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="a tiny workload, to check the script"
    )
    parser.add_argument("--only", default="", help="the tasks whose name has this")
    parser.add_argument(
        "--searches",
        default="GridSearchCV,WarmStartGridSearchCV",
        help="comma-separated: which searches to run",
    )
    parser.add_argument(
        "--warm-max-iter",
        type=lambda value: None if value == "None" else int(value),
        default=argparse.SUPPRESS,
        help="WarmStartGridSearchCV's warm_max_iter (an int or None)",
    )
    parser.add_argument(
        "--n-continued",
        type=int,
        default=argparse.SUPPRESS,
        help="WarmStartGridSearchCV's n_continued",
    )
    parser.add_argument(
        "--resume",
        type=int,
        choices=[0, 1],
        help="carry Adam's state along the paths (1) or not (0), to measure it",
    )
    parser.add_argument("--json", help="append each task's figures to this file")
    args = parser.parse_args()
    settings = {
        name: getattr(args, name)
        for name in ("warm_max_iter", "n_continued")
        if hasattr(args, name)
    }
    searches = {
        "GridSearchCV": lambda estimator, grid: GridSearchCV(estimator, grid, cv=3),
        "WarmStartGridSearchCV": lambda estimator, grid: WarmStartGridSearchCV(
            estimator, grid, cv=3, **settings
        ),
    }
    chosen = args.searches.split(",")
    if args.resume is not None:
        WarmStartGridSearchCV._resume_optimizer = bool(args.resume)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, (data, make_estimator, grid) in TASKS.items():
            if args.only not in name:
                continue
            if args.quick:
                X_train, X_test, y_train, y_test = data(n_samples=300)
                estimator = make_estimator(hidden=(8,), max_iter=20)
            else:
                X_train, X_test, y_train, y_test = data()
                estimator = make_estimator()
            repeats = {label: [] for label in chosen}
            for _ in range(args.repeats):
                for label in chosen:
                    repeats[label].append(
                        run(
                            searches[label](estimator, grid),
                            X_train,
                            y_train,
                            X_test,
                            y_test,
                        )
                    )
            runs = {}
            for label, figures in repeats.items():
                runs[label] = {
                    **figures[-1],
                    "seconds": statistics.median(f["seconds"] for f in figures),
                }
            report(f"{name} ({args.repeats} run(s), median wall time)", runs)
            if args.json:
                with open(args.json, "a") as file:
                    record = {"task": name, "settings": settings, "runs": runs}
                    record["resume"] = WarmStartGridSearchCV._resume_optimizer
                    file.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
