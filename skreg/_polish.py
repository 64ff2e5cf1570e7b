r"""The convex polish: Newton steps that finish what L-BFGS-B started on linear models.

A network without a hidden layer is a generalised linear model,

.. math::

    Z = X W + \mathbf{1} b^\top, \qquad
    F(\theta) = \underbrace{\sum_i w_i\, \ell(z_i, y_i)
    + \Omega_{\text{smooth}}(\theta)}_{f(\theta)}
    + \sum_{j \in \mathcal{L}} \lambda_j |\theta_j|,

with :math:`\theta = (W, b)`, normalised sample weights :math:`w_i`, a
convex loss :math:`\ell` (half squared error, log-losses, half Poisson
deviance) and the L1 terms on the coordinates :math:`\mathcal{L}`. Its
objective is convex, and L-BFGS-B stops on it where its line search loses
precision, at a distance from the optimum that depends on the rounding of
the products: weighted and repeated samples (the same objective) then end at
points a few 1e-7 apart. A few Newton steps from there reach the optimum to
the precision of the data.

**Optimality.** :math:`\theta` minimises :math:`F` if and only if

.. math::

    \nabla_j f(\theta) + \lambda_j \operatorname{sign}(\theta_j) = 0
    \quad (\theta_j \ne 0 \text{ or } j \notin \mathcal{L}), \qquad
    |\nabla_j f(\theta)| \le \lambda_j \quad (\theta_j = 0,\ j \in
    \mathcal{L}),

that is, when the minimum-norm subgradient
:math:`r_j = \nabla_j f + \lambda_j \operatorname{sign}(\theta_j)` on the
first set and :math:`r_j = \operatorname{sign}(\nabla_j f)
\max(|\nabla_j f| - \lambda_j, 0)` on the second is zero.

**The restricted Newton step.** The free set :math:`\mathcal{F}` holds every
coordinate except the L1 coordinates at zero whose condition holds (they
stay at zero); a zero whose condition fails is freed with the sign
:math:`s_j = -\operatorname{sign}(\nabla_j f)` that lowers :math:`F`. On the
orthant of the signs :math:`s`, :math:`F` is smooth, and the step :math:`d`
solves

.. math::

    \nabla^2_{\mathcal{F}\mathcal{F}} f(\theta)\; d_{\mathcal{F}}
    = -(\nabla f(\theta) + \lambda \odot s)_{\mathcal{F}}, \qquad
    d_j = 0 \ (j \notin \mathcal{F}),

with the Hessian never formed: for a direction :math:`v = (V, c)`,
:math:`\Delta Z = X V + \mathbf{1} c^\top`,
:math:`U_i = w_i\, \nabla^2_{z} \ell(z_i)\, \Delta Z_i` (the loss's
curvature, :data:`~skreg._functions.LOSS_CURVATURES`), and

.. math::

    \nabla^2 f\, v = (X^\top U,\ \mathbf{1}^\top U)
    + \nabla^2 \Omega_{\text{smooth}}\, v,

the penalty's Hessian being diagonal (:math:`2 \lambda_2` for the L2 terms).
Conjugate gradients solve the system from these products, preconditioned
by the Hessian's diagonal (:class:`JacobiPreconditioner`) and to a relative
precision that tightens as the gradient falls (an inexact Newton method),
so memory stays that of a few vectors of parameters and a few arrays of the
logits' shape, for dense and sparse ``X`` alike. A softmax model's
objective is flat along the directions that add one constant to every
class's coefficient of a feature, or to every class's bias, unless a
penalty curves or tilts them; the system is solved without them
(:meth:`LinearObjective.flat_groups`), so that the step does not wander
along them with the rounding.

**The line search.** The full step :math:`\theta + d` is tried first,
projected onto the orthant (the coordinates that would change sign stop at
zero); then the first breakpoint, where an L1 coordinate reaches zero (it
lands exactly on zero: the sign pattern is kept), and its halvings; then
the projected steps between.

**Never worse.** A step is accepted when it lowers :math:`F` by more than
its rounding, or leaves it equal to rounding and halves
:math:`\|r\|_\infty` (:meth:`NewtonPolish.judge`); the polish stops when
no step is accepted, when every :math:`|r_j|` is below the rounding of the
terms that make up :math:`\nabla_j f`, or after :data:`MAX_NEWTON_STEPS`
steps or :data:`MAX_HESSIAN_PRODUCTS` products.
The result is never worse than its start.

The polish computes in float64 whatever the network's dtype (float32
parameters are polished in float64, from a float64 copy of ``X``, and
rounded back), and knows the network only through its parameters, its loss
and its penalty.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from sklearn.utils import gen_batches
from sklearn.utils.extmath import safe_sparse_dot

# scikit-learn's private shim for scipy's cg, which takes rtol from scipy 1.12
# on and tol before (skreg supports scipy 1.9): no public equivalent.
from sklearn.utils.fixes import _sparse_linalg_cg as cg

from ._functions import (
    ACTIVATIONS,
    LOSS_CURVATURES,
    LOSSES,
    OUTPUT_ACTIVATION,
    SHIFT_INVARIANT_LOSSES,
)

#: At most this many Newton steps (each one conjugate-gradient solve); from
#: L-BFGS-B's stopping point two to six reach the rounding level, plus about
#: one for each coefficient whose sign is still wrong (36 on unscaled digits
#: with l1_weight=1e-3, where L-BFGS-B stalls short of the optimum)...
MAX_NEWTON_STEPS = 50
#: ... and at most this many Hessian products in all (each is two products
#: with X), which bounds the polish's cost to that of a few hundred
#: iterations of L-BFGS-B.
MAX_HESSIAN_PRODUCTS = 5000
#: At most this many halvings of a step before the polish gives up.
MAX_HALVINGS = 30
#: Conjugate gradients stop at a residual, relative to the right-hand side, of
#: the square root of the gradient's size (relative to its scale), at most
#: this (an inexact Newton method's forcing term),
CG_MAX_RTOL = 1e-2
#: ... or at this fraction of the rounding level of the gradient (its norm
#: over the free coordinates), whichever is larger.
CG_ROUNDING_FRACTION = 1e-2
#: ... or after this many iterations (each is two products with X), or this
#: many per unknown: in exact arithmetic it needs one per unknown at most, so
#: more only follows a singular system that rounding made inconsistent.
CG_MAX_ITERATIONS = 1000
CG_ITERATIONS_PER_UNKNOWN = 2
#: The Hessian's diagonal (the preconditioner) squares a dense X this many
#: rows at a time.
DIAGONAL_CHUNK_ROWS = 2048
#: A step that leaves the objective equal to rounding is accepted only if it
#: lowers the largest optimality residual by this factor at least.
RESIDUAL_DECREASE = 0.5
#: Rounding level of the objective, in units of float64's machine epsilon
#: times its magnitude: a change below it is no change.
ROUNDING_UNITS = 64
#: The polish stops early once every gradient coordinate is below this many
#: epsilons times the magnitude of the terms summed into it (a bound of its
#: rounding, often loose by orders of magnitude, so one epsilon); otherwise
#: it stops when a step no longer halves the residual.
GRADIENT_ROUNDING_UNITS = 1

EPSILON = np.finfo(np.float64).eps


@dataclass
class Point:
    r"""The objective's value and derivatives at one point.

    Attributes
    ----------
    theta : ndarray of shape (n_parameters,)
        The parameters, float64.
    value : float
        :math:`F(\theta)`, the non-smooth terms included.
    gradient : ndarray of shape (n_parameters,)
        :math:`\nabla f(\theta)`, the non-smooth terms left out.
    gradient_scale : ndarray of shape (n_parameters,)
        The magnitude of the terms summed into each gradient coordinate: its
        rounding is about ``EPSILON`` times this.
    outputs : ndarray of shape (n_samples, n_outputs)
        The predictions :math:`f(Z)`, on which the loss's curvature depends.
    penalty_curvature : ndarray of shape (n_parameters,)
        The diagonal of :math:`\nabla^2 \Omega_{\text{smooth}}(\theta)`.
    """

    theta: np.ndarray
    value: float
    gradient: np.ndarray
    gradient_scale: np.ndarray
    outputs: np.ndarray
    penalty_curvature: np.ndarray


class LinearObjective:
    r"""The objective of a network without hidden layer, its gradient and curvature.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
        Any non-negative weights; normalised here to sum to one.
    loss : str
        A key of ``LOSSES``.
    penalty : NetworkPenalty
        Its entries index the flat buffer ``(W.ravel(), b)``.
    """

    def __init__(self, X, Y, sample_weight, loss, penalty):
        self.X = X.astype(np.float64, copy=False)
        self.Y = np.asarray(Y, dtype=np.float64)
        self.weights = sample_weight / np.sum(sample_weight, dtype=np.float64)
        self.loss, self.penalty = loss, penalty
        self.n_features, self.n_outputs = X.shape[1], self.Y.shape[1]
        self.n_coefs = self.n_features * self.n_outputs
        self.scratch = np.empty(self.n_coefs + self.n_outputs)
        # Cauchy-Schwarz bounds of sums of |x_ij| times other terms, by rows
        # and by columns: the scale of the rounding of X W and X^T D.
        if sp.issparse(self.X):
            squares = self.X.multiply(self.X)
            column_squares = np.asarray(squares.sum(axis=0)).ravel()
            row_squares = np.asarray(squares.sum(axis=1)).ravel()
        else:
            column_squares = np.einsum("ij,ij->j", self.X, self.X)
            row_squares = np.einsum("ij,ij->i", self.X, self.X)
        self.column_norms = np.sqrt(column_squares)
        self.row_norms = np.sqrt(row_squares)
        # The squares themselves, for the Hessian's diagonal: sparse ones
        # cost what X does; dense ones are formed a chunk of rows at a time.
        self.sparse_squares = squares if sp.issparse(self.X) else None

    def split(self, theta):
        """The views ``(W, b)`` of a flat vector of parameters."""
        return (
            theta[: self.n_coefs].reshape(self.n_features, self.n_outputs),
            theta[self.n_coefs :],
        )

    def logits(self, theta):
        r""":math:`Z = X W + \mathbf{1} b^\top`, a new array."""
        coef, intercept = self.split(theta)
        Z = np.asarray(safe_sparse_dot(self.X, coef, dense_output=True))
        Z += intercept
        return Z

    def evaluate(self, theta):
        """The objective's value, gradient and curvature data at ``theta``.

        Parameters
        ----------
        theta : ndarray of shape (n_parameters,)

        Returns
        -------
        point : Point
        """
        Z = self.logits(theta)
        outputs = Z.copy()
        ACTIVATIONS[OUTPUT_ACTIVATION[self.loss]](outputs)
        # The loss overwrites the logits with its gradient.
        data_loss = LOSSES[self.loss](Z, self.Y, self.weights)
        gradient = self.transpose_product(Z)
        value = data_loss + self.penalty.value(theta, self.scratch)
        self.penalty.add_gradient(
            theta, gradient, self.scratch, include_nonsmooth=False
        )
        # The gradient sums w_i (outputs - targets) x_i: terms of the size of
        # the outputs and targets, plus the rounding of the logits (sums of
        # x_ij W_jk, bounded by ||x_i|| ||W_k||) through the loss's curvature.
        coef, intercept = self.split(theta)
        logit_scale = np.outer(self.row_norms, np.linalg.norm(coef, axis=0))
        logit_scale += np.abs(intercept)
        terms = np.abs(outputs) + np.abs(self.Y)
        terms += np.abs(LOSS_CURVATURES[self.loss](outputs, logit_scale))
        terms *= self.weights[:, np.newaxis]
        terms_norm = np.sqrt(np.einsum("ik,ik->k", terms, terms))
        scale = np.concatenate(
            [
                np.outer(self.column_norms, terms_norm).ravel(),
                terms.sum(axis=0),
            ]
        )
        penalty_curvature = np.zeros_like(theta)
        self.penalty.add_curvature(theta, penalty_curvature)
        scale += np.abs(penalty_curvature * theta)
        return Point(theta, value, gradient, scale, outputs, penalty_curvature)

    def transpose_product(self, U):
        r""":math:`(X^\top U, \mathbf{1}^\top U)` as one flat vector."""
        coef_part = np.asarray(safe_sparse_dot(self.X.T, U, dense_output=True))
        return np.concatenate([coef_part.ravel(), U.sum(axis=0)])

    def flat_groups(self, point, free, slope):
        r"""The rows of parameters along which the objective is flat.

        A shift-invariant loss (the softmax's) is unchanged by
        :math:`z_i \to z_i + \gamma_i \mathbf{1}`, which the parameters
        make by adding one constant to every class's coefficient of a
        feature (a row of :math:`W`) or to every class's bias. Along such a
        direction :math:`\nabla^2 f` is zero unless the penalty curves it,
        and, on an orthant, the L1 terms change :math:`F` by the row's
        :math:`\sum_k \lambda_k s_k`. Where that is zero too, :math:`F` is
        flat (the optimum is not unique along it): the Newton system is
        solved without these directions, whose gradient is zero, since
        solving for them would only follow rounding, and the step leaves
        them as they are. Where it is not, the curvature is zero but the
        slope is not: the step goes along it to the first breakpoint.

        Parameters
        ----------
        point : Point
        free : ndarray of shape (n_parameters,), dtype bool
            The coordinates the step may change.
        slope : ndarray of shape (n_parameters,)
            :math:`\lambda_j s_j`, the L1 terms' gradient on the orthant.

        Returns
        -------
        groups : ndarray of shape (n_features + 1,), dtype bool, or None
            Rows (the features' and, last, the biases') whose class-mean the
            step must not change; None when there are none.
        """
        if self.loss not in SHIFT_INVARIANT_LOSSES or self.n_outputs < 2:
            return None
        shape = (self.n_features + 1, self.n_outputs)
        flat = free & (point.penalty_curvature == 0)
        rows = np.all(flat.reshape(shape), axis=1)
        rows &= slope.reshape(shape).sum(axis=1) == 0
        return rows if rows.any() else None

    def hessian_diagonal(self, point):
        r"""The diagonal of :math:`\nabla^2 f` at ``point``.

        With :math:`c_{ik}` the diagonal of the loss's curvature at sample
        :math:`i`, it is :math:`\sum_i w_i c_{ik} x_{ij}^2` for
        :math:`W_{jk}` and :math:`\sum_i w_i c_{ik}` for :math:`b_k`, plus
        the penalty's.

        Returns
        -------
        diagonal : ndarray of shape (n_parameters,)
        """
        curvature = np.empty_like(point.outputs)
        unit = np.zeros_like(point.outputs)
        for k in range(self.n_outputs):
            unit[:, k] = 1.0
            curvature[:, k] = LOSS_CURVATURES[self.loss](point.outputs, unit)[:, k]
            unit[:, k] = 0.0
        curvature *= self.weights[:, np.newaxis]
        if self.sparse_squares is not None:
            coef_part = np.asarray(
                safe_sparse_dot(self.sparse_squares.T, curvature, dense_output=True)
            )
        else:
            coef_part = np.zeros((self.n_features, self.n_outputs))
            for rows in gen_batches(self.X.shape[0], DIAGONAL_CHUNK_ROWS):
                coef_part += np.square(self.X[rows]).T @ curvature[rows]
        diagonal = np.concatenate([coef_part.ravel(), curvature.sum(axis=0)])
        diagonal += point.penalty_curvature
        return diagonal

    def hessian_product(self, point, v):
        r"""Return :math:`\nabla^2 f(\theta)\, v` at ``point``.

        Parameters
        ----------
        point : Point
        v : ndarray of shape (n_parameters,)

        Returns
        -------
        product : ndarray of shape (n_parameters,)
        """
        dZ = self.logits(v)
        U = LOSS_CURVATURES[self.loss](point.outputs, dZ)
        U *= self.weights[:, np.newaxis]
        product = self.transpose_product(U)
        product += point.penalty_curvature * v
        return product


class RestrictedHessian(LinearOperator):
    r"""The objective's Hessian on the free coordinates, as a linear operator.

    :math:`P\, \nabla^2_{\mathcal{F}\mathcal{F}} f\, P`, with :math:`P`
    the projection that removes the flat directions of a shift-invariant
    loss (:meth:`LinearObjective.flat_groups`), so that conjugate gradients
    solve on the subspace where the Hessian is positive definite instead of
    following rounding along a direction of zero curvature.

    Parameters
    ----------
    objective : LinearObjective
    point : Point
        Where the Hessian is taken.
    free : ndarray of shape (n_parameters,), dtype bool
        The free set :math:`\mathcal{F}`.
    slope : ndarray of shape (n_parameters,)
        The L1 terms' gradient on the orthant, :math:`\lambda_j s_j`.
    """

    def __init__(self, objective, point, free, slope):
        self.objective, self.point = objective, point
        self.indices = np.flatnonzero(free)
        self.flat_rows = objective.flat_groups(point, free, slope)
        self.full = np.zeros_like(point.theta)
        self.n_products = 0
        super().__init__(np.float64, (self.indices.size, self.indices.size))

    def project(self, vector):
        """Remove the class-mean of every flat row of ``vector``, in place."""
        if self.flat_rows is not None:
            rows = vector.reshape(self.flat_rows.size, -1)
            rows[self.flat_rows] -= rows[self.flat_rows].mean(axis=1, keepdims=True)
        return vector

    def restrict(self, vector):
        """The projected free coordinates of a full vector (a new array)."""
        return self.project(vector.copy())[self.indices]

    def extend(self, restricted):
        """The full vector of free coordinates ``restricted`` (zero elsewhere)."""
        full = np.zeros_like(self.full)
        full[self.indices] = restricted.ravel()
        return self.project(full)

    def _matvec(self, restricted):
        self.n_products += 1
        self.full[self.indices] = restricted.ravel()
        product = self.objective.hessian_product(self.point, self.project(self.full))
        return self.project(product)[self.indices]


class JacobiPreconditioner(LinearOperator):
    r"""The inverse of the Hessian's diagonal on the free coordinates.

    :math:`P D^{-1} P` with :math:`D` the diagonal of
    :math:`\nabla^2_{\mathcal{F}\mathcal{F}} f` (one where it is zero)
    and :math:`P` the projection of :class:`RestrictedHessian`: positive
    definite on the subspace conjugate gradients work in. It takes the
    scales of the features (pixels from 0 to 16 against a bias of 1) out of
    the conditioning.

    Parameters
    ----------
    hessian : RestrictedHessian
    """

    def __init__(self, hessian):
        self.hessian = hessian
        diagonal = hessian.objective.hessian_diagonal(hessian.point)[hessian.indices]
        self.inverse = 1.0 / np.where(diagonal > 0, diagonal, 1.0)
        super().__init__(np.float64, hessian.shape)

    def _matvec(self, restricted):
        hessian = self.hessian
        projected = hessian.restrict(hessian.extend(restricted))
        return hessian.restrict(hessian.extend(projected * self.inverse))


class NewtonPolish:
    r"""Restricted Newton steps to the optimum of a convex linear model.

    See the module's docstring for the optimality conditions, the free set
    and the Newton system.

    Parameters
    ----------
    objective : LinearObjective
    nonsmooth_entries : sequence of PenaltyEntry
        The L1 entries, treated exactly (``l1_method='proximal'``); empty
        for a smooth objective.

    Attributes
    ----------
    n_steps : int
        Newton steps accepted by the last call.
    n_products : int
        Hessian products the last call computed.
    converged : bool
        Whether the last call reached the rounding level of the gradient.
    """

    def __init__(self, objective, nonsmooth_entries):
        self.objective = objective
        self.strengths = np.zeros_like(objective.scratch)
        for entry in nonsmooth_entries:
            self.strengths[entry.start : entry.stop] = entry.strength
        self.penalized = self.strengths > 0
        self.n_steps, self.n_products, self.converged = 0, 0, False

    def signs(self, point):
        r"""The orthant of the step: :math:`\operatorname{sign}(\theta_j)`,
        or :math:`-\operatorname{sign}(\nabla_j f)` for a zero whose
        condition fails; zero where a coordinate stays at zero."""
        theta, gradient = point.theta, point.gradient
        signs = np.where(self.penalized, np.sign(theta), 0.0)
        release = self.penalized & (theta == 0) & (np.abs(gradient) > self.strengths)
        signs[release] = -np.sign(gradient[release])
        return signs

    def residual(self, point):
        """The minimum-norm subgradient :math:`r` of the module's docstring."""
        gradient = point.gradient
        at_zero = self.penalized & (point.theta == 0)
        residual = gradient + self.strengths * np.sign(point.theta)
        residual[at_zero] = np.sign(gradient[at_zero]) * np.maximum(
            np.abs(gradient[at_zero]) - self.strengths[at_zero], 0.0
        )
        return residual

    def rounding_level(self, point):
        """How far from zero each coordinate of :math:`r` may be, by rounding."""
        return (
            GRADIENT_ROUNDING_UNITS * EPSILON * (point.gradient_scale + self.strengths)
        )

    def direction(self, point, free, slope):
        r"""Solve the restricted Newton system by conjugate gradients.

        Parameters
        ----------
        point : Point
        free : ndarray of shape (n_parameters,), dtype bool
        slope : ndarray of shape (n_parameters,)
            :math:`\lambda_j s_j` on the orthant of the step.

        Returns
        -------
        step : ndarray of shape (n_parameters,)
            Zero outside the free set. The steepest descent direction on
            the orthant when conjugate gradients do not give a descent
            direction (a singular system that is not consistent: along a
            direction of zero curvature with a slope, rounding decides).
        """
        hessian = RestrictedHessian(self.objective, point, free, slope)
        descent = hessian.restrict(-np.where(free, point.gradient + slope, 0.0))
        # Inexact Newton: a relative precision of the square root of the
        # gradient's (relative to its scale) keeps the convergence
        # superlinear at a fraction of the iterations near the start; and
        # solving far below the rounding of the gradient would only follow it.
        scale = point.gradient_scale + self.strengths
        relative = np.abs(descent).max() / max(scale[free].max(), EPSILON)
        rtol = min(CG_MAX_RTOL, np.sqrt(relative))
        floor = CG_ROUNDING_FRACTION * np.linalg.norm(self.rounding_level(point)[free])
        maxiter = min(
            CG_MAX_ITERATIONS,
            CG_ITERATIONS_PER_UNKNOWN * descent.size,
            MAX_HESSIAN_PRODUCTS - self.n_products,
        )
        solution, _ = cg(
            hessian,
            descent,
            rtol=rtol,
            atol=floor,
            maxiter=maxiter,
            M=JacobiPreconditioner(hessian),
        )
        self.n_products += hessian.n_products
        if not (np.all(np.isfinite(solution)) and np.dot(solution, descent) > 0):
            solution = descent
        return hessian.extend(solution)

    def judge(self, old, old_residual, new, new_residual):
        r"""Accept ``new``, try a shorter step, or stop (at the rounding level).

        Returns
        -------
        verdict : {'accept', 'shorter', 'stop'}
            'accept' when the objective falls by more than its rounding, or
            stays equal to rounding while :math:`\|r\|_\infty` falls by
            :data:`RESIDUAL_DECREASE` at least (a Newton step near the
            optimum does far better; less is rounding); 'shorter' when the
            objective rises beyond rounding; 'stop' otherwise: the step
            changes nothing measurable.
        """
        rounding = ROUNDING_UNITS * EPSILON * max(abs(old.value), abs(new.value))
        if not np.isfinite(new.value) or new.value > old.value + rounding:
            return "shorter"
        if (
            new.value < old.value - rounding
            or np.abs(new_residual).max()
            <= RESIDUAL_DECREASE * np.abs(old_residual).max()
        ):
            return "accept"
        return "stop"

    def __call__(self, theta):
        """Polish ``theta``; return the polished point.

        Parameters
        ----------
        theta : ndarray of shape (n_parameters,)
            The start, L-BFGS-B's solution; not modified.

        Returns
        -------
        point : Point
            Its ``theta`` is a new float64 array, the start if no step was
            accepted.
        """
        point = self.objective.evaluate(theta.astype(np.float64))
        residual = self.residual(point)
        self.n_steps, self.n_products, self.converged = 0, 0, False
        for _ in range(MAX_NEWTON_STEPS):
            if self.n_products >= MAX_HESSIAN_PRODUCTS:
                break
            if np.all(np.abs(residual) <= self.rounding_level(point)):
                self.converged = True
                break
            signs = self.signs(point)
            free = ~self.penalized | (signs != 0)
            step = self.direction(point, free, self.strengths * signs)
            candidate = self.line_search(point, residual, step, signs)
            if candidate is None:
                break
            point, residual = candidate
            self.n_steps += 1
        return point

    def line_search(self, point, residual, step, signs):
        """The first accepted point along ``step`` (see :meth:`judge`), or None.

        The trials are the full step, projected on the orthant (the
        coordinates that would cross zero stop at zero: several signs change
        at once); then, if an L1 coordinate reaches zero before the full
        step, the first breakpoint (that coordinate lands exactly on zero,
        and the sign pattern is kept) and its halvings; then the projected
        steps between the breakpoint and the full step. Stopping at the
        breakpoint makes a step along a direction of zero curvature finite
        (a singular restricted Hessian, as for a Lasso with more free
        coefficients than samples): it goes until a coordinate drops to
        zero.
        """
        theta = point.theta
        toward_zero = self.penalized & (theta * step < 0)
        breakpoints = np.full_like(theta, np.inf)
        breakpoints[toward_zero] = -theta[toward_zero] / step[toward_zero]
        first = min(1.0, float(breakpoints.min()))
        halvings = 2.0 ** -np.arange(MAX_HALVINGS)
        # The projected full step first: it changes the signs of several
        # coordinates at once, where the breakpoint changes one.
        sizes = [1.0] if first < 1 else []
        sizes += [*(first * halvings), *halvings[(halvings > first) & (halvings < 1)]]
        for size in sizes:
            candidate_theta = theta + size * step
            candidate_theta[
                (breakpoints <= size) | (self.penalized & (candidate_theta * signs < 0))
            ] = 0.0
            candidate = self.objective.evaluate(candidate_theta)
            candidate_residual = self.residual(candidate)
            verdict = self.judge(point, residual, candidate, candidate_residual)
            if verdict == "accept":
                return candidate, candidate_residual
            if verdict == "stop":
                break
        return None


def can_polish(network, penalty, proximal):
    """Whether :func:`polish_linear_model` applies to this network and penalty.

    It does for a network without hidden layer whose non-smooth terms, if
    any, are treated exactly (``l1_method='proximal'``): with
    ``l1_method='subgradient'`` and an L1 lambda, training follows the
    derived gradient of the L1 terms, which has no Newton step at their
    kinks, and L-BFGS-B's solution is kept as it is.

    Parameters
    ----------
    network : Network
    penalty : NetworkPenalty
    proximal : bool

    Returns
    -------
    applies : bool
    """
    return (
        len(network.layer_sizes) == 2
        and penalty.has_curvature
        and (proximal or not penalty.has_nonsmooth)
    )


def polish_linear_model(network, penalty, X, Y, sample_weight, proximal):
    """Polish a network without hidden layer to its optimum, in place.

    Parameters
    ----------
    network : Network
        Without hidden layer (see :func:`can_polish`); its parameters are
        replaced by the polished ones, rounded to its dtype.
    penalty : NetworkPenalty
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    proximal : bool
        Whether the non-smooth terms are treated exactly.

    Returns
    -------
    point : Point
        The objective at the polished parameters (in float64).
    polish : NewtonPolish
        Its ``n_steps`` and ``converged``.
    """
    objective = LinearObjective(X, Y, sample_weight, network.loss, penalty)
    polish = NewtonPolish(objective, penalty.nonsmooth_entries if proximal else ())
    point = polish(network.params)
    network.params[...] = point.theta
    return point, polish
