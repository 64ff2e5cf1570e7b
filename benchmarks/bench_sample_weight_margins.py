"""How far weighted and repeated samples are from the same model.

scikit-learn's ``check_sample_weight_equivalence_on_dense_data`` and
``..._on_sparse_data`` fit one estimator with integer sample weights and one
on the rows repeated that many times, and compare their predictions with
``assert_allclose`` (relative tolerance 1e-7). This script makes the same
two fits on the same data and prints the largest relative difference of the
outputs the check compares (``predict_proba``, ``decision_function``,
``predict``), so that the margin below the check's tolerance can be read off,
per configuration.

Run: ``python benchmarks/bench_sample_weight_margins.py [--tol TOL]``.
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import shuffle

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

#: The checks' relative tolerance (assert_allclose's default).
CHECK_RTOL = 1e-7
#: The checks' data: rows, seed of the data, seed of the shuffle.
N_SAMPLES, DATA_SEED, SHUFFLE_SEED = 15, 42, 0

CONFIGURATIONS = {
    "no-hidden-layer-l2": {"hidden_layer_sizes": (), "l2_weight": 1e-4},
    "no-hidden-layer-proximal-l1": {
        "hidden_layer_sizes": (),
        "l1_weight": 1e-2,
        "l1_method": "proximal",
    },
    "no-hidden-layer-subgradient-l1": {
        "hidden_layer_sizes": (),
        "l1_weight": 1e-2,
        "l1_method": "subgradient",
    },
    "no-hidden-layer-poisson-l2": {
        "hidden_layer_sizes": (),
        "l2_weight": 1e-4,
        "loss": "poisson",
    },
    "default-net-l2": {"l2_weight": 1e-3},
    "small-logistic-net-l2": {
        "hidden_layer_sizes": (5,),
        "activation": "logistic",
        "l2_weight": 1e-2,
    },
}
#: The configurations lbfgs polishes to their optimum (convex, smooth or with
#: l1_method='proximal'): the tests ask them for a margin of 10 at least.
POLISHED = (
    "no-hidden-layer-l2",
    "no-hidden-layer-proximal-l1",
    "no-hidden-layer-poisson-l2",
)


def estimators(names=tuple(CONFIGURATIONS), tol=1e-4):
    """Yield ``(configuration, estimator)``: each lbfgs classifier and regressor."""
    for name in names:
        for Estimator in (MLPRegularizedClassifier, MLPRegularizedRegressor):
            if "poisson" in name and Estimator is MLPRegularizedClassifier:
                continue
            parameters = CONFIGURATIONS[name]
            yield name, Estimator(solver="lbfgs", tol=tol, random_state=0, **parameters)


def check_data():
    """The data, weights and repeated rows of scikit-learn's check."""
    rng = np.random.RandomState(DATA_SEED)
    X = rng.rand(N_SAMPLES, N_SAMPLES * 2)
    y = rng.randint(0, 3, size=N_SAMPLES)
    sample_weight = rng.randint(0, 5, size=N_SAMPLES)
    X_repeated = X.repeat(repeats=sample_weight, axis=0)
    y_repeated = y.repeat(repeats=sample_weight)
    X_weighted, y_weighted, sample_weight = shuffle(
        X, y, sample_weight, random_state=SHUFFLE_SEED
    )
    return X, (X_weighted, y_weighted, sample_weight), (X_repeated, y_repeated)


def relative_difference(expected, actual):
    """The largest of ``|actual - expected| / |expected|`` (inf on a changed zero)."""
    difference = np.abs(np.asarray(actual, float) - np.asarray(expected, float))
    magnitude = np.abs(np.asarray(expected, float))
    if np.any(difference[magnitude == 0] > 0):
        return np.inf
    nonzero = magnitude > 0
    return float(np.max(difference[nonzero] / magnitude[nonzero], initial=0.0))


def measure(estimator, sparse):
    """The largest relative difference of the two fits' outputs, and the time.

    The outputs are those the check compares: ``predict_proba``,
    ``decision_function`` and ``predict``, where the estimator has them.
    """
    X, (X_weighted, y_weighted, sample_weight), (X_repeated, y_repeated) = check_data()
    if sparse:
        X_weighted, X_repeated = sp.csr_array(X_weighted), sp.csr_array(X_repeated)
    start = time.perf_counter()
    repeated = clone(estimator).fit(X_repeated, y_repeated)
    weighted = clone(estimator).fit(X_weighted, y_weighted, sample_weight=sample_weight)
    elapsed = time.perf_counter() - start
    methods = [
        method
        for method in ("predict_proba", "decision_function", "predict")
        if hasattr(estimator, method)
    ]
    largest = max(
        relative_difference(getattr(repeated, method)(X), getattr(weighted, method)(X))
        for method in methods
    )
    return largest, elapsed


def main(tol):
    print(
        f"{'configuration':32} {'estimator':26} {'data':6} {'rel. diff':>10} "
        f"{'margin':>8} {'time':>7}"
    )
    for name, estimator in estimators(tol=tol):
        for sparse in (False, True):
            difference, elapsed = measure(estimator, sparse)
            margin = CHECK_RTOL / difference if difference else np.inf
            print(
                f"{name:32} {type(estimator).__name__:26} "
                f"{'sparse' if sparse else 'dense':6} {difference:10.1e} "
                f"{margin:8.1f} {elapsed:6.2f}s"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=1e-4)
    main(parser.parse_args().tol)
