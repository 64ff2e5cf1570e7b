"""Which way along a lambda path should warm starts go? Both, measured.

Run from the repository root::

    python benchmarks/bench_path_direction.py           # both workloads
    python benchmarks/bench_path_direction.py --quick   # the first values only

For each workload, one lambda (``l1_weight`` with ``l1_method='proximal'``)
takes the values of a path, and the model is fitted at every value three
ways, in this one process:

* **cold**: a fresh fit at each value (what GridSearchCV does);
* **weak first**: one model, ``warm_start=True``, the values from the
  weakest to the strongest, each fit starting from the previous solution;
* **strong first**: the same, from the strongest value to the weakest.

Printed per value and way: the accuracy on a held-out test set, the epochs
that fit ran (from the growth of ``loss_curve_``, one entry per epoch) and
the share of first-layer weights that are exactly zero; then, per way, the
total epochs and seconds. The machine is shared and noisy: read the epochs,
which do not depend on the load, before the seconds.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegularizedClassifier


def digits():
    """Digits scaled to [0, 1], as in the examples."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def classification():
    """The search benchmark's task: 10 informative features among 60."""
    return make_classification(
        n_samples=3000,
        n_features=60,
        n_informative=10,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=2,
        class_sep=1.0,
        flip_y=0.02,
        random_state=0,
    )


#: name, data, standardize, model parameters, the path's values (weakest first).
WORKLOADS = [
    (
        "digits",
        digits,
        False,
        dict(hidden_layer_sizes=(64,), max_iter=1000),
        [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
    ),
    (
        "classification (60 features, 10 informative)",
        classification,
        True,
        dict(hidden_layer_sizes=(64,), max_iter=500),
        [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
    ),
    (
        "classification, early stopping",
        classification,
        True,
        dict(hidden_layer_sizes=(64,), max_iter=500, early_stopping=True),
        [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
    ),
]


def split(load, standardize):
    X, y = load()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test


def fit_and_measure(model, X_train, y_train, X_test, y_test):
    """Fit, then (test accuracy, epochs of this fit, first-layer zero share)."""
    epochs_before = len(getattr(model, "loss_curve_", []))
    model.fit(X_train, y_train)
    epochs = len(model.loss_curve_) - epochs_before
    zero_share = float(np.mean(model.coefs_[0] == 0))
    return model.score(X_test, y_test), epochs, zero_share


def run_path(parameters, values, order, data):
    """Fit along ``values`` in the given order; results keyed by value."""
    X_train, X_test, y_train, y_test = data
    results = {}
    start = time.perf_counter()
    model = None
    for value in values if order != "strong first" else values[::-1]:
        if order == "cold" or model is None:
            model = MLPRegularizedClassifier(
                **parameters,
                l1_method="proximal",
                warm_start=order != "cold",
                random_state=0,
            )
        model.set_params(l1_weight=value)
        results[value] = fit_and_measure(model, X_train, y_train, X_test, y_test)
    return results, time.perf_counter() - start


def report(name, parameters, values, data):
    orders = ["cold", "weak first", "strong first"]
    runs = {order: run_path(parameters, values, order, data) for order in orders}
    print(f"\n{name}: l1_weight path, l1_method='proximal', {parameters}")
    header = f"{'l1_weight':>10}" + "".join(
        f"  {order + ': acc epochs zero':>28}" for order in orders
    )
    print(header)
    for value in values:
        row = f"{value:>10g}"
        for order in orders:
            accuracy, epochs, zero_share = runs[order][0][value]
            row += f"  {accuracy:>14.3f} {epochs:>6d} {zero_share:>6.0%}"
        print(row)
    row = f"{'total':>10}"
    for order in orders:
        results, seconds = runs[order]
        epochs = sum(result[1] for result in results.values())
        row += f"  {epochs:>14d} ep {seconds:>6.1f} s"
    print(row)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the last four values of each path"
    )
    parser.add_argument("--only", default="", help="the workloads whose name has this")
    args = parser.parse_args()
    with warnings.catch_warnings():
        # Strong lambdas collapse the model (PenaltyCollapseWarning, a
        # ConvergenceWarning) and some fits reach max_iter: both are results
        # here, read off the table.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, load, standardize, parameters, values in WORKLOADS:
            if args.only and args.only not in name:
                continue
            values = values[-4:] if args.quick else values
            report(name, parameters, values, split(load, standardize))


if __name__ == "__main__":
    main()
