"""Concurrency: one fitted model serves predictions from many threads.

Prediction allocates its own buffers and only reads the fitted state, so
concurrent calls, on different inputs, give exactly the serial results.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier

from conftest import make_problem
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

N_THREADS = 8
CALLS_PER_THREAD = 25
TASKS = {
    "multiclass": MLPRegularizedClassifier,
    "binary": MLPRegularizedClassifier,
    "multilabel": MLPRegularizedClassifier,
    "regression": MLPRegularizedRegressor,
    "multioutput": MLPRegularizedRegressor,
}


def requests(n_features, seed):
    """Inputs of many sizes (1 to 300 rows), float64 and float32."""
    rng = np.random.RandomState(seed)
    inputs = []
    for call in range(N_THREADS * CALLS_PER_THREAD):
        X = rng.normal(size=(rng.randint(1, 301), n_features))
        inputs.append(X.astype(np.float32) if call % 5 == 0 else X)
    return inputs


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("task", list(TASKS))
def test_threads_predict_exactly_as_serial_calls(task, solver):
    X, y = make_problem(task)
    model = TASKS[task](
        hidden_layer_sizes=(16, 8), solver=solver, max_iter=20, random_state=0
    ).fit(X, y)
    methods = ["predict"]
    if is_classifier(model):
        methods += ["predict_proba", "predict_log_proba"]
    # Each call: one method on one input, the methods interleaved.
    calls = [
        (methods[index % len(methods)], inputs)
        for index, inputs in enumerate(requests(X.shape[1], seed=len(task)))
    ]

    def call(method_and_inputs):
        method, inputs = method_and_inputs
        return getattr(model, method)(inputs)

    serial = [call(c) for c in calls]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        concurrent = list(pool.map(call, calls))

    for together, alone in zip(concurrent, serial, strict=True):
        assert together.dtype == alone.dtype
        assert_array_equal(together, alone)
