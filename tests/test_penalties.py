"""The penalty terms against their formulas, written out by hand."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference_mlp import central_differences
from scipy.optimize import minimize

from conftest import entries
from skreg._penalties import (
    L1,
    L2,
    TERMS,
    GroupLasso,
    NetworkPenalty,
    PenaltyEntry,
    PenaltyTerm,
)


def test_l1_value_is_lambda_times_sum_of_absolute_values():
    theta = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    # 0.3 * (2 + 0 + 0 + 0.5 + 3)
    assert L1.value(theta, 0.3, np.empty(5)) == pytest.approx(0.3 * 5.5)


def test_l2_value_is_lambda_times_sum_of_squares():
    theta = np.array([-2.0, 0.0, 0.5, 3.0])
    # 0.3 * (4 + 0 + 0.25 + 9)
    assert L2.value(theta, 0.3, np.empty(4)) == pytest.approx(0.3 * 13.25)


def test_l1_gradient_is_plus_lambda_at_zero_and_negative_zero():
    theta = np.array([-2.0, -1e-300, -0.0, 0.0, 1e-300, 3.0])
    gradient = np.full(6, 10.0)
    value = L1.add_gradient(theta, 0.25, gradient, np.empty(6))
    assert_array_equal(gradient, [9.75, 9.75, 10.25, 10.25, 10.25, 10.25])
    # The same pass returns the value, 0.25 * (2 + 1e-300 + 0 + 0 + 1e-300 + 3).
    assert value == pytest.approx(1.25)


def test_l2_gradient_is_two_lambda_theta_added_in_place():
    theta = np.array([-2.0, -0.0, 0.5, 3.0])
    gradient = np.array([1.0, 1.0, 1.0, 1.0])
    value = L2.add_gradient(theta, 0.25, gradient, np.empty(4))
    assert_allclose(gradient, [1.0 - 1.0, 1.0, 1.0 + 0.25, 1.0 + 1.5])
    assert value == pytest.approx(0.25 * (4 + 0 + 0.25 + 9))


def test_soft_threshold_shrinks_and_lands_exactly_on_positive_zero():
    theta = np.array([-3.0, -1.0, -0.4, 0.0, 0.4, 1.0, 3.0])
    L1.prox(theta, 1.0, np.empty(7))
    assert_array_equal(theta, [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0])
    assert not np.any(np.signbit(theta[1:6])), "zeros must be +0.0"


def test_soft_threshold_with_a_per_coordinate_threshold():
    theta = np.array([-3.0, 2.0, 0.5, -0.5])
    L1.prox(theta, np.array([1.0, 2.5, 0.25, 0.0]), np.empty(4))
    assert_array_equal(theta, [-2.0, 0.0, 0.25, -0.5])


def entries_of(penalty):
    return [(e.start, e.stop, e.term.__name__, e.strength) for e in penalty.entries]


@pytest.mark.parametrize(
    "slices, expected",
    [
        # Adjacent slices of a term with equal lambdas merge, whatever the
        # input order; each term's entries come together, L1 first.
        (
            [(3, 6, 0.1, 0.2), (0, 3, 0.1, 0.2)],
            [(0, 6, "L1", 0.1), (0, 6, "L2", 0.2)],
        ),
        # Different lambdas stay apart, term by term.
        (
            [(0, 3, 0.1, 0.2), (3, 6, 0.1, 0.3)],
            [(0, 6, "L1", 0.1), (0, 3, "L2", 0.2), (3, 6, "L2", 0.3)],
        ),
        # Equal lambdas but a gap between them: not merged.
        (
            [(0, 2, 0.1, 0.0), (3, 6, 0.1, 0.0)],
            [(0, 2, "L1", 0.1), (3, 6, "L1", 0.1)],
        ),
        # Zero lambdas and empty slices are dropped; their neighbours, now
        # separated by a gap, stay apart.
        (
            [(0, 2, 0.0, 0.5), (2, 4, 0.0, 0.0), (4, 4, 1.0, 1.0)]
            + [(4, 6, 0.0, 0.5), (6, 9, 0.0, 0.5)],
            [(0, 2, "L2", 0.5), (4, 9, "L2", 0.5)],
        ),
    ],
)
def test_entries_are_merged_and_dropped(slices, expected):
    penalty = NetworkPenalty([e for s in slices for e in entries(*s)], 9)
    assert entries_of(penalty) == expected


# (start, stop, l1, l2) over a buffer of 10; coordinates 8 and 9 unpenalized.
SEGMENTS = [(0, 3, 0.1, 0.0), (3, 5, 0.0, 0.7), (5, 8, 0.2, 0.3)]


def strengths_per_coordinate(size=10):
    l1, l2 = np.zeros(size), np.zeros(size)
    for start, stop, s1, s2 in SEGMENTS:
        l1[start:stop], l2[start:stop] = s1, s2
    return l1, l2


@pytest.fixture
def network_penalty():
    return NetworkPenalty([e for s in SEGMENTS for e in entries(*s)], 10)


THETA = np.array([-1.5, 0.0, 2.0, -0.5, 0.25, -0.0, 1.0, -3.0, 4.0, -4.0])


def expected_value(include_nonsmooth):
    l1, l2 = strengths_per_coordinate()
    l1_part, l2_part = np.sum(l1 * np.abs(THETA)), np.sum(l2 * THETA**2)
    # By hand: 0.1*3.5 + 0.2*4 and 0.7*(0.25+0.0625) + 0.3*(0+1+9)
    assert l1_part == pytest.approx(0.35 + 0.8)
    assert l2_part == pytest.approx(0.21875 + 3.0)
    return l2_part + (l1_part if include_nonsmooth else 0.0)


@pytest.mark.parametrize("include_nonsmooth", [True, False])
def test_network_penalty_value_matches_formula(network_penalty, include_nonsmooth):
    value = network_penalty.value(
        THETA, np.empty(10), include_nonsmooth=include_nonsmooth
    )
    assert value == pytest.approx(expected_value(include_nonsmooth))


@pytest.mark.parametrize("include_nonsmooth", [True, False])
def test_network_penalty_gradient_matches_formula(network_penalty, include_nonsmooth):
    l1, l2 = strengths_per_coordinate()
    sign_plus = np.where(THETA >= 0, 1.0, -1.0)  # +1 at 0.0 and at -0.0
    expected = 1.0 + 2 * l2 * THETA + (l1 * sign_plus if include_nonsmooth else 0.0)
    gradient = np.ones(10)
    value = network_penalty.add_gradient(
        THETA, gradient, np.empty(10), include_nonsmooth=include_nonsmooth
    )
    assert_allclose(gradient, expected, rtol=1e-15)
    # It also returns the value of the terms it differentiated.
    assert value == pytest.approx(expected_value(include_nonsmooth))
    # Unpenalized coordinates are left exactly as they were.
    assert_array_equal(gradient[8:], [1.0, 1.0])


def test_has_l1(network_penalty):
    assert network_penalty.has_nonsmooth
    assert not NetworkPenalty([*entries(0, 4, 0.0, 1.0)], 4).has_nonsmooth


@pytest.mark.parametrize("per_coordinate", [False, True])
def test_prox_l1_soft_thresholds_only_l1_segments(network_penalty, per_coordinate):
    step = np.linspace(1.0, 2.0, 10) if per_coordinate else 1.0
    l1, _ = strengths_per_coordinate()
    threshold = step * l1
    expected = np.sign(THETA) * np.maximum(np.abs(THETA) - threshold, 0.0)
    theta = THETA.copy()
    network_penalty.prox(theta, step, np.empty(10))
    assert_allclose(theta, expected, rtol=1e-15)
    # Segments without L1, and unpenalized coordinates, are untouched.
    assert_array_equal(theta[3:5], THETA[3:5])
    assert_array_equal(theta[8:], THETA[8:])


def test_network_penalty_pickles(network_penalty):
    restored = pickle.loads(pickle.dumps(network_penalty))
    assert entries_of(restored) == entries_of(network_penalty)
    assert restored.value(THETA, np.empty(10)) == network_penalty.value(
        THETA, np.empty(10)
    )


def test_orthant_l1_is_the_l1_term_inside_its_orthant_and_releases_violated_zeros():
    from skreg._penalties import OrthantL1

    theta = np.array([0.5, -0.25, 0.0, 0.0, 3.0])
    # Coordinates 0-3 penalized with lambda 0.1; 4 is free.
    smooth_gradient = np.array([0.0, 0.0, 0.3, -0.05, 1.0])
    orthant = OrthantL1(
        NetworkPenalty(entries(0, 4, 0.1, 0.0), 5).nonsmooth_entries,
        5,
        theta,
        smooth_gradient,
    )
    # |0.3| > 0.1 releases coordinate 2 towards -gradient; |-0.05| <= 0.1 stays.
    assert orthant.n_released == 1
    bounds = orthant.bounds()
    assert_allclose(bounds.lb, [0.0, -np.inf, -np.inf, 0.0, -np.inf])
    assert_allclose(bounds.ub, [np.inf, 0.0, 0.0, 0.0, np.inf])
    z = orthant.split(theta)
    assert orthant.value(z) == pytest.approx(0.1 * (0.5 + 0.25))
    # Inside the orthant the value is lambda * |theta|; its gradient lambda * s.
    inside = np.array([0.7, -0.1, -0.2, 0.0, -4.0])
    assert orthant.value(inside) == pytest.approx(0.1 * np.abs(inside[:4]).sum())
    assert_allclose(
        orthant.gradient(np.zeros(5)),
        central_differences(orthant.value, inside),
        atol=1e-9,
    )


# ----------------------------------------------------------------------
# The contract every registered term meets: adding a term to TERMS runs it.
# ----------------------------------------------------------------------
TERM_IDS = list(TERMS)
ALL_TERMS = list(TERMS.values())
NONSMOOTH_TERMS = [term for term in ALL_TERMS if not term.smooth]


def away_from_kinks(rng, size):
    """Parameters at least 0.1 from zero, where the L1 term has its kink."""
    return rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.1, 2.0, size=size)


def example_shape(term):
    """The shape a term's methods take: a flat slice, or a block of rows."""
    return (3, 4) if term.grouped else (7,)


def example_theta(term, seed, dtype=np.float64):
    """Parameters of the term's shape, away from its kinks (rows nonzero)."""
    shape = example_shape(term)
    return away_from_kinks(np.random.RandomState(seed), shape).astype(dtype)


def flat_function(term, function, shape):
    """``function`` of a flat vector, for central differences and minimize."""
    return lambda flat: function(flat.reshape(shape))


@pytest.mark.parametrize("term", ALL_TERMS, ids=TERM_IDS)
def test_term_gradient_matches_central_differences(term):
    theta = example_theta(term, 0)
    shape = theta.shape
    gradient = np.zeros(shape)
    value = term.add_gradient(theta, 0.3, gradient, np.empty(shape))
    expected = central_differences(
        flat_function(term, lambda t: term.value(t, 0.3, np.empty(shape)), shape),
        theta.ravel(),
    )
    assert_allclose(gradient.ravel(), expected, rtol=1e-6, atol=1e-9)
    assert value == pytest.approx(term.value(theta, 0.3, np.empty(shape)), rel=1e-14)


@pytest.mark.parametrize("term", ALL_TERMS, ids=TERM_IDS)
def test_term_curvature_matches_central_differences_of_its_gradient(term):
    """Every term that acts on each coordinate alone states its diagonal
    second derivative (the Newton polish of linear models needs it), away
    from its kinks; a grouped term, whose Hessian is not diagonal, states
    none, and a penalty of it says so (the polish then leaves it alone)."""
    if term.grouped:
        assert term.add_curvature is None
        entry = PenaltyEntry(0, 12, term, 0.3, shape=(3, 4))
        assert not NetworkPenalty([entry], 12).has_curvature
        return
    assert callable(term.add_curvature)
    theta = example_theta(term, 5)

    def gradient(t):
        out = np.zeros(7)
        term.add_gradient(t, 0.3, out, np.empty(7))
        return out

    step = 1e-6
    expected = np.array(
        [
            (gradient(theta + step * e) - gradient(theta - step * e))[j] / (2 * step)
            for j, e in enumerate(np.eye(7))
        ]
    )
    diagonal = np.full(7, 0.5)
    term.add_curvature(theta, 0.3, diagonal)
    assert_allclose(diagonal - 0.5, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("term", ALL_TERMS, ids=TERM_IDS)
def test_term_keeps_float32(term):
    theta = example_theta(term, 1, np.float32)
    gradient = np.zeros(theta.shape, dtype=np.float32)
    value = term.add_gradient(
        theta, 0.3, gradient, np.empty(theta.shape, dtype=np.float32)
    )
    assert gradient.dtype == np.float32
    assert np.isfinite(value)
    if term.prox:
        term.prox(theta, np.float32(0.2), np.empty(theta.shape, dtype=np.float32))
        assert theta.dtype == np.float32
        steps = np.full(theta.shape, 0.2, dtype=np.float32)
        term.prox(theta, steps, np.empty(theta.shape, dtype=np.float32))
        assert theta.dtype == np.float32


@pytest.mark.parametrize("term", ALL_TERMS, ids=TERM_IDS)
def test_term_and_a_penalty_of_it_pickle(term):
    assert pickle.loads(pickle.dumps(term)) is term
    penalty = NetworkPenalty([PenaltyEntry(0, 4, term, 0.5, shape=(2, 2))], 6)
    restored = pickle.loads(pickle.dumps(penalty))
    assert restored.value(THETA[:6], np.empty(6)) == penalty.value(
        THETA[:6], np.empty(6)
    )


@pytest.mark.parametrize("per_coordinate", [False, True], ids=["scalar", "metric"])
@pytest.mark.parametrize("term", [t for t in ALL_TERMS if t.prox])
def test_prox_is_the_numerical_argmin(term, per_coordinate):
    r"""prox_{tau phi}(v) = argmin_x 1/2 ||x - v||^2 + tau phi(x).

    With per-coordinate steps :math:`\eta_j` (adam's), the thresholds
    :math:`\tau \eta_j` give the argmin in the optimizer's metric,
    :math:`\sum_j (x_j - v_j)^2 / (2 \eta_j) + \tau \phi(x)`.
    """
    rng = np.random.RandomState(2)
    shape = (2, 3) if term.grouped else (4,)
    size = int(np.prod(shape))
    # Small vectors too, so that thresholds reach zero (rows of the group).
    for scale in (1.0, 1.0, 0.3, 0.1, 2.0):
        v = scale * rng.normal(size=size)
        tau = rng.uniform(0.1, 1.5)
        steps = rng.uniform(0.2, 2.0, size=size) if per_coordinate else np.ones(size)

        def objective(x, v=v, tau=tau, steps=steps):
            return 0.5 * np.sum((x - v) ** 2 / steps) + tau * term.value(
                x.reshape(shape), 1.0, np.empty(shape)
            )

        x = v.copy()
        threshold = (tau * steps).reshape(shape) if per_coordinate else tau
        term.prox(x.reshape(shape), threshold, np.empty(shape))
        options = {"xtol": 1e-10, "ftol": 1e-14}
        numerical = minimize(objective, v, method="Powell", options=options).x
        assert objective(x) <= objective(numerical) + 1e-12
        # Nor does Powell started at x find anything lower (Powell from v
        # alone may stop short of the argmin on a curved kink, such as a
        # row norm's).
        polished = minimize(objective, x, method="Powell", options=options).x
        assert objective(polished) >= objective(x) - 1e-12


@pytest.mark.parametrize("term", NONSMOOTH_TERMS)
def test_nonsmooth_term_has_what_the_proximal_solvers_need(term):
    """A non-smooth term has a prox; lbfgs reformulates it or refuses it,
    naming the estimator parameter."""
    assert callable(term.prox)
    if term.lbfgs_reformulations:
        return
    entry = PenaltyEntry(0, 4, term, 1.0, shape=(2, 2), parameter="its_parameter")
    with pytest.raises(ValueError, match="lbfgs.*its_parameter"):
        NetworkPenalty([entry], 4).require("lbfgs_reformulations", "lbfgs")


class NoProx(PenaltyTerm):
    """A non-smooth term that states its value and gradient only."""

    smooth = False

    @staticmethod
    def value(theta, strength, scratch):
        return strength * float(np.abs(theta).max())

    @staticmethod
    def add_gradient(theta, strength, gradient, scratch):
        gradient[np.argmax(np.abs(theta))] += strength
        return NoProx.value(theta, strength, scratch)


@pytest.mark.parametrize("capability", ["prox", "lbfgs_reformulations"])
def test_solvers_refuse_a_term_without_what_they_need(capability):
    penalty = NetworkPenalty([PenaltyEntry(0, 3, NoProx, 1.0)], 3)
    with pytest.raises(ValueError, match=f"needs .*{capability}.*NoProx has none"):
        penalty.require(capability, "sgd")


def test_network_penalty_curvature_adds_each_terms_and_says_if_one_is_missing():
    penalty = NetworkPenalty(entries(0, 3, 0.1, 0.2) + entries(3, 5, 0.0, 0.4), 6)
    diagonal = np.zeros(6)
    penalty.add_curvature(THETA[:6], diagonal)
    assert_allclose(diagonal, [0.4, 0.4, 0.4, 0.8, 0.8, 0.0])
    assert penalty.has_curvature
    assert not NetworkPenalty([PenaltyEntry(0, 3, NoProx, 1.0)], 3).has_curvature


# ----------------------------------------------------------------------
# The group term: rows of a weight block
# ----------------------------------------------------------------------
def test_group_lasso_value_gradient_and_zero_row_by_hand():
    theta = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    gradient = np.ones((3, 2))
    value = GroupLasso.add_gradient(theta, 0.5, gradient, np.empty((3, 2)))
    # 0.5 * (5 + 0 + 1); the zero row's subgradient is taken as 0.
    assert value == pytest.approx(3.0)
    assert_allclose(gradient, [[1.3, 1.4], [1.0, 1.0], [0.5, 1.0]])


def test_group_lasso_prox_is_block_soft_thresholding():
    theta = np.array([[3.0, 4.0], [0.3, -0.4], [-1.0, 0.0]])
    GroupLasso.prox(theta, 1.0, np.empty((3, 2)))
    # Norms 5, 0.5, 1: scaled by 1 - 1/5, zeroed, zeroed (norm = threshold).
    assert_allclose(theta, [[2.4, 3.2], [0.0, 0.0], [0.0, 0.0]])
    assert not np.any(np.signbit(theta)[1:])


def test_group_lasso_prox_with_equal_per_coordinate_steps_is_the_scalar_one():
    rng = np.random.RandomState(3)
    theta = rng.normal(size=(5, 4))
    scalar, per_coordinate = theta.copy(), theta.copy()
    GroupLasso.prox(scalar, 0.8, None)
    GroupLasso.prox(per_coordinate, np.full((5, 4), 0.8), None)
    assert_allclose(per_coordinate, scalar, rtol=1e-12, atol=1e-15)
    assert np.any(~scalar.any(axis=1)) and np.any(scalar.any(axis=1))


def test_group_lasso_prox_with_adam_steps_is_the_argmin_in_adams_metric():
    """With step sizes eta_j: argmin_x sum (x_j - v_j)^2 / (2 eta_j) + lam ||x||."""
    rng = np.random.RandomState(4)
    lam = 0.7
    for scale in (0.2, 1.0, 3.0):
        v = scale * rng.normal(size=(1, 4))
        eta = rng.uniform(0.05, 2.0, size=(1, 4))

        def objective(x, v=v, eta=eta):
            return np.sum((x - v[0]) ** 2 / (2 * eta[0])) + lam * np.linalg.norm(x)

        x = v.copy()
        GroupLasso.prox(x, lam * eta, None)
        numerical = minimize(
            objective, v[0], method="Powell", options={"xtol": 1e-10, "ftol": 1e-14}
        ).x
        assert objective(x[0]) <= objective(numerical) + 1e-12
        assert_allclose(x[0], numerical, atol=1e-6)


def test_group_and_l1_on_the_same_weights_prox_l1_then_group_with_intact_steps():
    """Soft then block thresholding (the sparse-group prox); the adam steps
    reach the group term unscaled by the L1 lambda."""
    shape = (3, 2)
    penalty = NetworkPenalty(
        [
            PenaltyEntry(0, 6, L1, 0.1, shape=shape),
            PenaltyEntry(0, 6, GroupLasso, 0.5, shape=shape),
        ],
        6,
    )
    theta = np.array([3.0, 4.0, 0.05, -0.6, -1.0, 2.0])
    steps = np.linspace(0.5, 1.5, 6)
    expected = theta.copy()
    L1.prox(expected, steps * 0.1, np.empty(6))
    GroupLasso.prox(expected.reshape(shape), (steps * 0.5).reshape(shape), None)
    penalty.prox(theta, steps.copy(), np.empty(6))
    assert_allclose(theta, expected, rtol=1e-14)


def test_a_grouped_entry_needs_its_shape():
    with pytest.raises(ValueError, match="GroupLasso acts on rows"):
        NetworkPenalty([PenaltyEntry(0, 6, GroupLasso, 0.5)], 6)
