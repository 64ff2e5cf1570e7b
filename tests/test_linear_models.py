r"""Cross-checks against scikit-learn's linear models.

With ``hidden_layer_sizes=()`` the network is a generalised linear model and
its objective is convex, so skreg must reach the optimum that scikit-learn's
linear estimators find on the same data. Writing each reference objective in
skreg's form (data loss = weighted mean, penalty = plain sum, n samples):

* ``LogisticRegression(C)``: :math:`C \sum_i \ell_i + \frac12 \|w\|^2`,
  divided by :math:`C n`, is the mean log-loss plus
  :math:`\frac{1}{2Cn} \|w\|^2`, so ``l2_weight = 1 / (2 C n)``; the
  intercept is not penalized, and multiclass is the multinomial (softmax)
  model, as skreg's.
* ``Ridge(alpha)``: :math:`\|y - Xw - b\|^2 + \alpha \|w\|^2`, divided
  by :math:`2n`, is skreg's regression loss :math:`\frac{1}{2n}
  \|y - Xw - b\|^2` plus ``l2_weight = alpha / (2 n)``.
* ``ElasticNet(alpha, l1_ratio=r)``: :math:`\frac{1}{2n} \|y - Xw - b\|^2
  + \alpha r \|w\|_1 + \frac{\alpha (1 - r)}{2} \|w\|^2`, so
  ``l1_weight = alpha * r`` and ``l2_weight = alpha * (1 - r) / 2``;
  ``Lasso(alpha)`` is the case ``r = 1``.
* ``PoissonRegressor(alpha)``: :math:`\frac{1}{2 \sum_i s_i} \sum_i s_i
  d(y_i, \hat y_i) + \frac{\alpha}{2} \|w\|^2` with the Poisson
  deviance :math:`d = 2 (y \log(y / \hat y) - y + \hat y)` and
  :math:`\hat y = e^{Xw + b}`: the weighted mean of half the deviance,
  skreg's ``loss='poisson'``, plus ``l2_weight = alpha / 2`` (no division
  by n: scikit-learn's GLMs already average their data term).

The expected numbers all come from scikit-learn, solved to tight
tolerances (``solver='newton-cholesky'`` or ``'cholesky'`` where it exists).
lbfgs runs at its default ``tol``: its Newton polish (:mod:`skreg._polish`)
finishes at the optimum, so the coefficients agree to
:data:`OPTIMUM_ATOL`, far below what L-BFGS-B's own stopping point gives
(about 1e-5 at the default ``tol``).
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor
from skreg._base import SOLVERS

#: Weights whose norm is below this count as removed by SelectFromModel.
ZERO_IMPORTANCE = 1e-12
#: How close the polished coefficients are to scikit-learn's: a margin of
#: 1000 over the differences measured (1e-13 and below), which depend on the
#: conditioning of the problem and the rounding of each solver.
OPTIMUM_ATOL = 1e-10


@pytest.fixture(scope="module")
def sparse_regression_data():
    """Standardised features, 6 of 20 informative, and an offset target."""
    X, y = make_regression(
        n_samples=200,
        n_features=20,
        n_informative=6,
        noise=5.0,
        bias=30.0,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y / y.std()


def skreg_penalties(reference, n_samples):
    """skreg's lambdas for the objective of a scikit-learn linear regressor."""
    if isinstance(reference, Ridge):
        return {"l2_weight": reference.alpha / (2 * n_samples)}
    # Lasso is the ElasticNet with l1_ratio=1.
    return {
        "l1_weight": reference.alpha * reference.l1_ratio,
        "l2_weight": reference.alpha * (1 - reference.l1_ratio) / 2,
        "l1_method": "proximal",
    }


def linear_regressor(**parameters):
    return MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        activation="identity",
        solver="lbfgs",
        random_state=0,
        **parameters,
    )


@pytest.mark.parametrize(
    "dataset, C",
    [(load_breast_cancer, 0.05), (load_breast_cancer, 1.0), (load_wine, 0.1)],
    ids=["breast_cancer-C=0.05", "breast_cancer-C=1", "wine-C=0.1"],
)
def test_logistic_regression(dataset, C):
    X, y = dataset(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    n_samples = X.shape[0]
    reference = LogisticRegression(
        C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000
    ).fit(X, y)

    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(),
        solver="lbfgs",
        l2_weight=1 / (2 * C * n_samples),
        random_state=0,
    ).fit(X, y)

    # Binary: one logistic output, the reference's coefficients; multiclass:
    # softmax coefficients, equal up to a constant per row (the reference
    # centres them, as the L2 term does at the optimum).
    np.testing.assert_allclose(
        model.coefs_[0].T.reshape(reference.coef_.shape),
        reference.coef_,
        rtol=0,
        atol=OPTIMUM_ATOL,
    )
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X), rtol=0, atol=OPTIMUM_ATOL
    )


@pytest.mark.parametrize(
    "reference",
    [
        Ridge(alpha=10.0, solver="cholesky"),
        Ridge(alpha=200.0, solver="cholesky"),
        Lasso(alpha=0.02, tol=1e-14, max_iter=100_000),
        Lasso(alpha=0.1, tol=1e-14, max_iter=100_000),
        ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-14, max_iter=100_000),
        ElasticNet(alpha=0.2, l1_ratio=0.2, tol=1e-14, max_iter=100_000),
    ],
    ids=lambda model: repr(model).split(",")[0] + ")",
)
def test_linear_regressors(sparse_regression_data, reference):
    X, y = sparse_regression_data
    reference.fit(X, y)

    model = linear_regressor(**skreg_penalties(reference, X.shape[0])).fit(X, y)
    coef = model.coefs_[0].ravel()

    np.testing.assert_allclose(coef, reference.coef_, rtol=0, atol=OPTIMUM_ATOL)
    np.testing.assert_allclose(
        model.intercepts_[0][0], reference.intercept_, rtol=0, atol=OPTIMUM_ATOL
    )
    # The same coefficients are exactly zero.
    np.testing.assert_array_equal(coef == 0, reference.coef_ == 0)
    if not isinstance(reference, Ridge):
        assert np.count_nonzero(reference.coef_ == 0) >= 5


def test_lasso_on_more_features_than_samples():
    """An ill-conditioned Lasso (30 features, 15 samples) is still exact.

    L-BFGS-B needs more than the default 200 iterations to converge here;
    the polish then finishes at the optimum.
    """
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    reference = Lasso(alpha=1e-3, tol=1e-15, max_iter=1_000_000).fit(X, y)

    model = linear_regressor(l1_weight=1e-3, l1_method="proximal", max_iter=5000)
    model.fit(X, y)
    coef = model.coefs_[0].ravel()

    np.testing.assert_allclose(coef, reference.coef_, rtol=0, atol=OPTIMUM_ATOL)
    np.testing.assert_array_equal(coef == 0, reference.coef_ == 0)


@pytest.mark.parametrize("solver, learning_rate_init", [("sgd", 0.01), ("adam", 0.01)])
@pytest.mark.parametrize("batch_size", [200, 50], ids=["full-batch", "mini-batch"])
def test_stochastic_proximal_reaches_lasso(
    sparse_regression_data, solver, learning_rate_init, batch_size
):
    """sgd (with its default momentum) and adam land on the Lasso's zeros."""
    X, y = sparse_regression_data
    alpha = 0.05
    reference = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)

    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        activation="identity",
        solver=solver,
        learning_rate_init=learning_rate_init,
        batch_size=batch_size,
        l1_weight=alpha,
        l1_method="proximal",
        max_iter=300,
        tol=0.0,
        n_iter_no_change=300,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        model.fit(X, y)
    coef = model.coefs_[0].ravel()

    np.testing.assert_allclose(coef, reference.coef_, rtol=0, atol=5e-3)
    np.testing.assert_array_equal(coef == 0, reference.coef_ == 0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_select_from_model_keeps_lasso_support(sparse_regression_data, solver):
    """SelectFromModel on a proximal model keeps the inputs the Lasso keeps."""
    X, y = sparse_regression_data
    alpha = 0.1
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)

    selector = SelectFromModel(
        MLPRegularizedRegressor(
            hidden_layer_sizes=(),
            activation="identity",
            solver=solver,
            learning_rate_init=0.01,
            batch_size=50,
            l1_weight=alpha,
            l1_method="proximal",
            max_iter=200,
            tol=1e-10 if solver == "lbfgs" else 1e-6,
            random_state=0,
        ),
        threshold=ZERO_IMPORTANCE,
    )
    pipeline = make_pipeline(selector, LinearRegression()).fit(X, y)

    np.testing.assert_array_equal(selector.get_support(), lasso.coef_ != 0)
    # The refit on the kept inputs predicts as well as least squares on all.
    full_fit = LinearRegression().fit(X, y)
    assert pipeline.score(X, y) > full_fit.score(X, y) - 0.01


@pytest.mark.parametrize("alpha", [0.01, 0.1])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_poisson_regression(alpha, weighted):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = rng.poisson(np.exp(X @ np.array([0.4, -0.3, 0.2, 0.0, 0.1]) + 0.5))
    sample_weight = rng.uniform(0.2, 2.0, size=300) if weighted else None
    reference = PoissonRegressor(
        alpha=alpha, solver="newton-cholesky", tol=1e-14, max_iter=1000
    )
    reference.fit(X, y, sample_weight=sample_weight)

    model = MLPRegularizedRegressor(
        hidden_layer_sizes=(),
        solver="lbfgs",
        loss="poisson",
        l2_weight=alpha / 2,
        random_state=0,
    ).fit(X, y, sample_weight=sample_weight)

    np.testing.assert_allclose(
        model.coefs_[0].ravel(), reference.coef_, rtol=0, atol=OPTIMUM_ATOL
    )
    np.testing.assert_allclose(
        model.intercepts_[0][0], reference.intercept_, rtol=0, atol=OPTIMUM_ATOL
    )
    np.testing.assert_allclose(
        model.predict(X), reference.predict(X), rtol=OPTIMUM_ATOL
    )
