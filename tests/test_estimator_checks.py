"""scikit-learn's estimator checks, for the defaults and non-default configurations.

No check is expected to fail. The configurations are chosen to be realistic
and to pass the checks' accuracy thresholds: L-BFGS gets a penalty (without
one, it drives separable data's logits to infinity, so that probabilities hit
exactly 0 or 1, and sample weights stop being equivalent to repetitions at
the checks' 1e-7 tolerance); the linear model uses 'lbfgs', with which it
converges within the checks' iteration budget.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

# The checks fit with small iteration budgets on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONFIGURATIONS = {
    "defaults": {},
    "sgd": {"solver": "sgd"},
    "lbfgs": {
        "solver": "lbfgs",
        "hidden_layer_sizes": (5,),
        "activation": "logistic",
        "l2_weight": 1e-2,
    },
    "all-four-penalties": {
        "l1_weight": 1e-4,
        "l1_bias": 1e-4,
        "l2_weight": 1e-4,
        "l2_bias": 1e-4,
    },
    "per-layer-lambdas": {
        "hidden_layer_sizes": (20, 10),
        "l2_weight": [1e-3, 0.0, 1e-4],
        "l1_bias": [0.0, 1e-4, 0.0],
    },
    "no-hidden-layer": {
        "hidden_layer_sizes": (),
        "solver": "lbfgs",
        "l2_weight": 1e-4,
    },
}

ESTIMATORS = [
    Estimator(random_state=0, **parameters)
    for parameters in CONFIGURATIONS.values()
    for Estimator in (MLPRegularizedClassifier, MLPRegularizedRegressor)
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
