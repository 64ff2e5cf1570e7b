"""Shared fixtures: small, fast, read-only data sets.

Every data set is made read-only, so any attempt by an estimator to write
into its input fails loudly.
"""

import os

# scikit-learn's array API estimator check runs only when SciPy is imported
# with its array API support on; set it before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    make_blobs,
    make_classification,
    make_multilabel_classification,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.fixes import parse_version  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor  # noqa: E402

#: scikit-learn's MLPRegressor has loss='poisson' from 1.7 on; the lowest
#: versions .ci/run tests (scikit-learn 1.6) cannot serve as that reference.
requires_sklearn_poisson_mlp = pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.7"),
    reason="scikit-learn's MLP has loss='poisson' from 1.7 on",
)


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas():
    """One BLAS thread: the tests' matrices are tiny, and on a busy two-core
    machine OpenBLAS's thread hand-offs make L-BFGS-B fits tens of times slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)
    return arrays


def make_problem(task):
    """``(X, y)`` of a small, standardized problem of the given kind."""
    if task == "multiclass":
        X, y = make_blobs(
            n_samples=60, centers=3, n_features=4, cluster_std=2.5, random_state=0
        )
    elif task == "binary":
        X, y = make_classification(
            n_samples=60, n_features=4, n_informative=3, n_redundant=0, random_state=0
        )
    elif task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=60, n_features=4, n_classes=3, random_state=0
        )
    elif task in ("regression", "multioutput"):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(60, 4))
        y = np.column_stack(
            [X[:, 0] - 2 * X[:, 1] + np.sin(X[:, 2]), X[:, 3] ** 2 - X[:, 0]]
        )
        y += 0.1 * rng.normal(size=y.shape)
        y = y[:, 0] if task == "regression" else y
    else:
        raise ValueError(task)
    X = StandardScaler().fit_transform(X)
    return read_only(np.ascontiguousarray(X), np.ascontiguousarray(y))


ESTIMATOR_OF_TASK = {
    "multiclass": MLPRegularizedClassifier,
    "binary": MLPRegularizedClassifier,
    "multilabel": MLPRegularizedClassifier,
    "regression": MLPRegularizedRegressor,
    "multioutput": MLPRegularizedRegressor,
}


@pytest.fixture(scope="session")
def multiclass_data():
    return make_problem("multiclass")


@pytest.fixture(scope="session")
def regression_data():
    return make_problem("regression")


@pytest.fixture(scope="session", params=["multiclass", "regression"])
def problem(request):
    """``(Estimator, X, y)``: each estimator with a small data set."""
    return (ESTIMATOR_OF_TASK[request.param], *make_problem(request.param))


@pytest.fixture(
    scope="session",
    params=["multiclass", "binary", "multilabel", "regression", "multioutput"],
)
def any_problem(request):
    """``(Estimator, X, y)`` for every kind of target."""
    return (ESTIMATOR_OF_TASK[request.param], *make_problem(request.param))


def entries(start, stop, l1, l2):
    """The L1 and the L2 entry of one slice of the parameter buffer."""
    from skreg._penalties import L1, L2, PenaltyEntry

    return [PenaltyEntry(start, stop, L1, l1), PenaltyEntry(start, stop, L2, l2)]
