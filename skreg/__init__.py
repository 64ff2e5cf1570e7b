"""skreg: a multilayer perceptron with L1 and L2 penalties on weights and biases."""

from ._classifier import MLPRegularizedClassifier
from ._persistence import skops_trusted_types
from ._regressor import MLPRegularizedRegressor
from ._search import WarmStartGridSearchCV

__version__ = "0.1.0"
__all__ = [
    "MLPRegularizedClassifier",
    "MLPRegularizedRegressor",
    "WarmStartGridSearchCV",
    "skops_trusted_types",
    "__version__",
]
