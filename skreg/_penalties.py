r"""Penalty terms: value, gradient, proximal step, reformulations; the network penalty.

skreg regularizes a network with parameters :math:`\theta = (W_1, b_1, \dots,
W_L, b_L)` by

.. math::

    \Omega(\theta) = \sum_{l=1}^{L} \lambda^{(l)}_{1,W} \sum |W_l|
                     + \lambda^{(l)}_{1,b} \sum |b_l|
                     + \lambda^{(l)}_{2,W} \sum W_l^2
                     + \lambda^{(l)}_{2,b} \sum b_l^2 ,

the plain sum over every weight and bias: no factor 1/2 and no division by
the number of samples. Its gradient is the derived one,

.. math::

    \frac{\partial}{\partial w} \lambda_1 |w| = \lambda_1 \,
    \operatorname{sign}_+(w), \qquad
    \frac{\partial}{\partial w} \lambda_2 w^2 = 2 \lambda_2 w,

where :math:`\operatorname{sign}_+(w) = +1` if :math:`w \ge 0` and
:math:`-1` otherwise (the derivation takes +1 at :math:`w = 0`).

The network keeps all its parameters in one flat buffer (see
:mod:`skreg._network`), so a penalty acts on contiguous slices of that buffer.
Each term (:class:`PenaltyTerm`: :class:`L1`, :class:`L2`,
:class:`GroupLasso`) is a few lines of arithmetic on one slice, its value and
gradient side by side; a term with structure says so (``grouped``) and takes
its slice as the layer's weight matrix, one group per row (the group term
:math:`\lambda_G \sum_i \|W_{i,:}\|_2`). :class:`NetworkPenalty` is a list of
(slice, term, lambda) entries and adds them up.
:data:`ESTIMATOR_PENALTIES` says which estimator parameter puts which term on
which parameters: a new penalty is one term class and one row there, and the
contract tests run every term of it (:data:`TERMS`).

The L1 terms are not differentiable at zero. Besides the derived gradient
above (``l1_method='subgradient'``), ``l1_method='proximal'`` treats the
non-smooth terms exactly: the stochastic solvers follow each step with the
term's proximal operator (:meth:`L1.prox`, soft thresholding), and L-BFGS-B
minimises the term's smooth reformulations under bounds (:class:`SplitL1`,
then :class:`OrthantL1`). Both leave weights exactly at zero. A solver asks
the terms for what it needs (:meth:`NetworkPenalty.require`).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.optimize import Bounds


class PenaltyTerm(ABC):
    r"""A penalty term :math:`\lambda \sum_j \phi(\theta_j)` on one slice.

    A term states its value and its gradient; a non-smooth one (not
    differentiable everywhere) may also have a proximal operator ``prox``
    and reformulations for L-BFGS-B (``lbfgs_reformulations``: classes with
    the interface of :class:`SplitL1`, applied in turn), which the solvers of
    ``l1_method='proximal'`` require.

    Attributes
    ----------
    smooth : bool
        Whether the gradient is a derivative everywhere.
    prox : callable or None
        ``prox(theta, threshold, scratch)``: the proximal operator of
        ``threshold`` times :math:`\phi`, in place.
    lbfgs_reformulations : tuple of type
        Smooth reformulations under bounds, for L-BFGS-B.
    add_curvature : callable or None
        ``add_curvature(theta, strength, diagonal)``: adds the term's second
        derivative in each coordinate (where it is differentiable) to
        ``diagonal``, for a term that acts on each coordinate alone; the
        Newton polish of linear models (:mod:`skreg._polish`) needs it.
    grouped : bool
        The term's structure. False: it acts on each coordinate alone and its
        methods take a flat 1-D slice. True: it acts on the rows of a weight
        block, and its methods take the slice as the layer's matrix of shape
        ``(fan_in, fan_out)`` (:meth:`PenaltyEntry.view`), one group per row.
    """

    smooth = True
    grouped = False
    prox = None
    lbfgs_reformulations = ()
    add_curvature = None

    @staticmethod
    @abstractmethod
    def value(theta, strength, scratch):
        """Return the term's value on ``theta`` (a slice), for lambda ``strength``."""

    @staticmethod
    @abstractmethod
    def add_gradient(theta, strength, gradient, scratch):
        """Add the term's gradient to ``gradient`` in place; return its value."""


class L1(PenaltyTerm):
    r"""The L1 term :math:`\lambda \sum_j |\theta_j|` on one slice.

    Not differentiable at zero: its gradient is the derived
    :math:`\lambda \operatorname{sign}_+(\theta)`, +1 at zero.
    """

    smooth = False

    @staticmethod
    def value(theta, strength, scratch):
        r"""Return :math:`\lambda \sum_j |\theta_j|`.

        Parameters
        ----------
        theta : ndarray of shape (n,)
            The parameters of the segment.
        strength : float
            The lambda of the segment.
        scratch : ndarray of shape (n,)
            Work space, overwritten.

        Returns
        -------
        value : float
        """
        return strength * float(np.abs(theta, out=scratch).sum())

    @staticmethod
    def add_gradient(theta, strength, gradient, scratch):
        r"""Add :math:`\lambda \operatorname{sign}_+(\theta)` to ``gradient``.

        ``sign_+`` is +1 for :math:`\theta \ge 0` (zero included, negative
        zero too) and -1 below zero. The same pass gives the value, since
        :math:`\lambda \operatorname{sign}_+(\theta) \cdot \theta =
        \lambda \sum_j |\theta_j|`.

        Parameters
        ----------
        theta : ndarray of shape (n,)
        strength : float
        gradient : ndarray of shape (n,)
            Updated in place.
        scratch : ndarray of shape (n,)
            Work space, overwritten.

        Returns
        -------
        value : float
            :math:`\lambda \sum_j |\theta_j|`.
        """
        # [theta >= 0] as 1.0 / 0.0 (true for -0.0), then 2 [.] - 1 = sign_+.
        np.greater_equal(theta, 0, out=scratch)
        scratch *= 2 * strength
        scratch -= strength
        gradient += scratch
        return float(np.dot(scratch, theta))

    @staticmethod
    def add_curvature(theta, strength, diagonal):
        r"""Add nothing: :math:`\lambda |\theta_j|` is linear on each side of zero.

        Parameters
        ----------
        theta : ndarray of shape (n,)
        strength : float
        diagonal : ndarray of shape (n,)
            Left unchanged.
        """

    @staticmethod
    def prox(theta, threshold, scratch):
        r"""Apply the proximal operator of ``threshold * |.|`` in place.

        This is soft thresholding,
        :math:`\theta \leftarrow \operatorname{sign}(\theta)
        \max(|\theta| - \tau, 0)`: a coordinate that the step would move
        across zero lands exactly on zero.

        Parameters
        ----------
        theta : ndarray of shape (n,)
            Updated in place.
        threshold : float or ndarray of shape (n,)
            :math:`\tau`, the step size times lambda (per coordinate for
            optimizers with per-coordinate steps).
        scratch : ndarray of shape (n,)
            Work space, overwritten.
        """
        np.abs(theta, out=scratch)
        scratch -= threshold
        np.maximum(scratch, 0.0, out=scratch)
        # copysign keeps the sign of theta; +0.0 makes the zeros positive.
        np.copysign(scratch, theta, out=theta)
        theta += 0.0


class L2(PenaltyTerm):
    r"""The L2 term :math:`\lambda \sum_j \theta_j^2` on one slice."""

    @staticmethod
    def value(theta, strength, scratch):
        r"""Return :math:`\lambda \sum_j \theta_j^2`.

        Parameters
        ----------
        theta : ndarray of shape (n,)
        strength : float
        scratch : ndarray of shape (n,)
            Unused; present so that both terms share one interface.

        Returns
        -------
        value : float
        """
        return strength * float(np.dot(theta, theta))

    @staticmethod
    def add_gradient(theta, strength, gradient, scratch):
        r"""Add :math:`2 \lambda \theta` to ``gradient``.

        Parameters
        ----------
        theta : ndarray of shape (n,)
        strength : float
        gradient : ndarray of shape (n,)
            Updated in place.
        scratch : ndarray of shape (n,)
            Work space, overwritten.

        Returns
        -------
        value : float
            :math:`\lambda \sum_j \theta_j^2`.
        """
        gradient += np.multiply(theta, 2.0 * strength, out=scratch)
        return strength * float(np.dot(theta, theta))

    @staticmethod
    def add_curvature(theta, strength, diagonal):
        r"""Add :math:`\partial^2 (\lambda \theta_j^2) / \partial \theta_j^2
        = 2 \lambda` to ``diagonal``.

        Parameters
        ----------
        theta : ndarray of shape (n,)
        strength : float
        diagonal : ndarray of shape (n,)
            Updated in place.
        """
        diagonal += 2.0 * strength


#: Newton's method for the group term's prox in adam's metric stops when
#: every row's equation holds to this relative precision...
METRIC_PROX_TOLERANCE = 1e-12
#: ...or after this many steps (it converges quadratically from its start).
METRIC_PROX_ITERATIONS = 50


class GroupLasso(PenaltyTerm):
    r"""The group term :math:`\lambda \sum_i \|W_{i,:}\|_2` on one weight block.

    Each row of a layer's weight matrix :math:`W` of shape ``(fan_in,
    fan_out)`` is a group: the outgoing weights of one input (first layer)
    or of one hidden unit (later layers). The term is the L1 norm of the
    rows' Euclidean norms, so, like L1 for single weights, it sets whole
    rows exactly to zero (with ``l1_method='proximal'``): an input, or a
    unit, that the network no longer uses.

    Its gradient, where a row is nonzero, is :math:`\lambda W_{i,:} /
    \|W_{i,:}\|_2`. At a zero row the norm has no derivative; its
    subdifferential is the ball of radius :math:`\lambda`, and the term takes
    its centre, 0 (unlike L1's :math:`\operatorname{sign}_+`, there is no
    direction to prefer on a sphere, and 0 leaves a removed row removed).
    """

    smooth = False
    grouped = True

    @staticmethod
    def _row_norms(theta):
        """The Euclidean norm of each row, in theta's dtype."""
        return np.sqrt(np.einsum("ij,ij->i", theta, theta))

    @staticmethod
    def value(theta, strength, scratch):
        r"""Return :math:`\lambda \sum_i \|\theta_{i,:}\|_2`.

        Parameters
        ----------
        theta : ndarray of shape (fan_in, fan_out)
            The layer's weights.
        strength : float
        scratch : ndarray of shape (fan_in, fan_out)
            Unused.

        Returns
        -------
        value : float
        """
        return strength * float(GroupLasso._row_norms(theta).sum())

    @staticmethod
    def add_gradient(theta, strength, gradient, scratch):
        r"""Add :math:`\lambda \theta_{i,:} / \|\theta_{i,:}\|_2` to each row of
        ``gradient`` (0 for a zero row).

        Parameters
        ----------
        theta : ndarray of shape (fan_in, fan_out)
        strength : float
        gradient : ndarray of shape (fan_in, fan_out)
            Updated in place.
        scratch : ndarray of shape (fan_in, fan_out)
            Work space, overwritten.

        Returns
        -------
        value : float
        """
        norms = GroupLasso._row_norms(theta)
        scale = np.divide(strength, norms, out=np.zeros_like(norms), where=norms > 0)
        np.multiply(theta, scale[:, None], out=scratch)
        gradient += scratch
        return strength * float(norms.sum())

    @staticmethod
    def prox(theta, threshold, scratch):
        r"""Apply the proximal operator of the group norm, in place.

        With a scalar threshold :math:`\tau` (the step size times lambda) it
        is block soft thresholding, row by row:
        :math:`\theta_{i,:} \leftarrow \theta_{i,:} \max(0, 1 - \tau /
        \|\theta_{i,:}\|_2)`: a row whose norm is at most :math:`\tau`
        lands exactly on zero, the others shrink toward it without turning.

        With per-coordinate thresholds :math:`t_j = \lambda \eta_j` (adam's
        step sizes times lambda) it is the exact proximal step in adam's
        metric, :math:`\operatorname{argmin}_x \sum_j (x_j - v_j)^2 / (2
        \eta_j) + \lambda \|x\|_2` for each row :math:`v`: zero when
        :math:`\|v / t\|_2 \le 1`, otherwise :math:`x_j = v_j r / (r +
        t_j)` with :math:`r = \|x\|_2` the root of :math:`\sum_j v_j^2 /
        (r + t_j)^2 = 1`, found by Newton's method on :math:`(\sum_j v_j^2 /
        (r + t_j)^2)^{-1/2} = 1` (linear in :math:`r` when the thresholds are
        equal, so then exact in one step). A row's scalar summary of its steps
        (their mean, say) would let one coordinate with a large step, which
        adam gives to coordinates with small gradients, zero the whole row.

        Parameters
        ----------
        theta : ndarray of shape (fan_in, fan_out)
            Updated in place.
        threshold : float or ndarray of shape (fan_in, fan_out)
            The step size times lambda, scalar or per coordinate.
        scratch : ndarray of shape (fan_in, fan_out)
            Unused.
        """
        norms = GroupLasso._row_norms(theta)
        if np.ndim(threshold) == 0:
            shrink = np.divide(
                threshold, norms, out=np.ones_like(norms), where=norms > 0
            )
            np.subtract(1.0, shrink, out=shrink)
            np.maximum(shrink, 0.0, out=shrink)
            theta *= shrink[:, None]
        else:
            GroupLasso._metric_prox(theta, threshold)
        # +0.0 makes the zeros positive.
        theta += 0.0

    @staticmethod
    def _metric_prox(theta, threshold, iterations=METRIC_PROX_ITERATIONS):
        r"""The rows' proximal step with per-coordinate thresholds, in place.

        For each row :math:`v` with thresholds :math:`t`: zero when
        :math:`\sum_j v_j^2 / t_j^2 \le 1`, else :math:`x_j = v_j r / (r +
        t_j)`, with :math:`r` the root of :math:`h(r) = \phi(r)^{-1/2} - 1`,
        :math:`\phi(r) = \sum_j v_j^2 / (r + t_j)^2`. Newton's method starts
        from the root for equal thresholds, :math:`\|v\|_2 - \bar t`, with
        :math:`\bar t` the mean of the thresholds weighted by :math:`v_j^2`
        (exact when the thresholds are equal), and stops when every row's
        :math:`|h| \le` ``METRIC_PROX_TOLERANCE``.
        """
        v = theta.astype(np.float64)
        t = np.asarray(threshold, dtype=np.float64)
        squares = v * v
        # Zero rows: the gradient of the quadratic at 0 within the ball.
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(squares > 0, squares / (t * t), 0.0)
        keep = scaled.sum(axis=1) > 1.0
        squares, t = squares[keep], t[keep]
        total = squares.sum(axis=1)
        r = np.maximum(np.sqrt(total) - (squares * t).sum(axis=1) / total, 0.0)
        for _ in range(iterations):
            inverse = 1.0 / (r[:, None] + t)
            terms = squares * inverse * inverse
            phi = terms.sum(axis=1)
            dphi = -2.0 * (terms * inverse).sum(axis=1)
            # h(r) = phi^(-1/2) - 1, h' = -phi^(-3/2) phi' / 2.
            h = phi**-0.5 - 1.0
            np.maximum(r - h / (-0.5 * phi**-1.5 * dphi), 0.0, out=r)
            if not h.size or np.abs(h).max() <= METRIC_PROX_TOLERANCE:
                break
        factor = np.zeros_like(v)
        factor[keep] = r[:, None] / (r[:, None] + t)
        theta *= factor.astype(theta.dtype)


@dataclass(frozen=True)
class PenaltyEntry:
    """One term of the network penalty: a slice of the buffer, a term, a lambda.

    Attributes
    ----------
    start, stop : int
        The slice ``theta[start:stop]`` of the flat parameter buffer.
    term : type
        The term, a :class:`PenaltyTerm` subclass (:class:`L1`, :class:`L2`,
        :class:`GroupLasso`).
    strength : float
        Its lambda on this slice.
    shape : tuple of int or None, default=None
        The slice's shape as a layer's weight matrix, ``(fan_in, fan_out)``,
        which a grouped term needs (its rows are its groups); None for a
        flat slice.
    parameter : str or None, default=None
        The estimator parameter that put the term there (``'l1_weight'``),
        which messages name.
    """

    start: int
    stop: int
    term: type
    strength: float
    shape: tuple = None
    parameter: str = None

    def view(self, array):
        """The entry's part of a buffer-sized ``array``, as its term takes it.

        Parameters
        ----------
        array : ndarray of shape (size,)

        Returns
        -------
        part : ndarray
            A view: flat of shape ``(stop - start,)``, or of shape
            :attr:`shape` for a grouped term.
        """
        part = array[self.start : self.stop]
        if self.term.grouped:
            return part.reshape(self.shape)
        return part

    @property
    def label(self):
        """How messages name the entry: its parameter and term, or its term."""
        if self.parameter is None:
            return self.term.__name__
        return f"{self.parameter} ({self.term.__name__})"


class NetworkPenalty:
    r"""The whole penalty :math:`\Omega(\theta)`: a list of (slice, term, lambda).

    Parameters
    ----------
    entries : list of PenaltyEntry
        The penalized slices. Entries with a zero lambda or an empty slice
        are dropped and neighbours of one term with equal lambdas merged, so
        the usual case (one lambda for all weights, one for all biases)
        costs one vectorised pass per term.
    size : int
        Length of the parameter buffer.

    Attributes
    ----------
    entries : list of PenaltyEntry
        The terms, each term's entries together and in buffer order; a
        coordinate's terms are added in the order of :data:`TERMS`.
    """

    def __init__(self, entries, size):
        # Registered terms in their order; any other term after them.
        order = {term: index for index, term in enumerate(TERMS.values())}
        merged = []
        for entry in sorted(
            entries, key=lambda e: (order.get(e.term, len(order)), e.start)
        ):
            if entry.stop <= entry.start or entry.strength == 0:
                continue
            if entry.term.grouped:
                if entry.shape is None or np.prod(entry.shape) != (
                    entry.stop - entry.start
                ):
                    raise ValueError(
                        f"{entry.term.__name__} acts on rows: its entry needs "
                        f"the slice's shape, got {entry.shape!r} for "
                        f"{entry.stop - entry.start} parameters."
                    )
                merged.append(entry)
                continue
            last = merged[-1] if merged else None
            if (
                last is not None
                and last.term is entry.term
                and last.stop == entry.start
                and last.strength == entry.strength
            ):
                names = dict.fromkeys(
                    name
                    for name in (last.parameter, entry.parameter)
                    if name is not None
                )
                merged[-1] = PenaltyEntry(
                    last.start,
                    entry.stop,
                    last.term,
                    last.strength,
                    parameter=" and ".join(names) or None,
                )
            else:
                merged.append(entry)
        self.entries = merged
        self.size = size

    @property
    def nonsmooth_entries(self):
        """The entries whose term is not differentiable everywhere."""
        return [entry for entry in self.entries if not entry.term.smooth]

    @property
    def has_nonsmooth(self):
        """Whether any entry's term is non-smooth (an L1 term)."""
        return bool(self.nonsmooth_entries)

    def require(self, capability, solver):
        """Check that every non-smooth term has ``capability``, for ``solver``.

        A solver that treats the non-smooth terms in its own way (a proximal
        step, a reformulation for L-BFGS-B) asks for what it needs, and a
        term without it is refused, rather than trained with something else.

        Parameters
        ----------
        capability : str
            An attribute of the terms: 'prox' or 'lbfgs_reformulations'.
        solver : str
            Named in the error.

        Raises
        ------
        ValueError
            Naming the term and what it lacks.
        """
        for entry in self.nonsmooth_entries:
            if not getattr(entry.term, capability, None):
                raise ValueError(
                    f"solver={solver!r} with l1_method='proximal' needs "
                    f"{CAPABILITIES.get(capability, 'the')} {capability} of "
                    "every non-smooth penalty term; "
                    f"{entry.label} has none. Use "
                    "another solver, or l1_method='subgradient'."
                )

    def value(self, theta, scratch, include_nonsmooth=True):
        r"""Return :math:`\Omega(\theta)`.

        Parameters
        ----------
        theta : ndarray of shape (size,)
            The flat parameter buffer.
        scratch : ndarray of shape (size,)
            Work space, overwritten.
        include_nonsmooth : bool, default=True
            False leaves out the non-smooth terms (see :meth:`add_gradient`).

        Returns
        -------
        value : float
        """
        total = 0.0
        for entry in self.entries:
            if include_nonsmooth or entry.term.smooth:
                total += entry.term.value(
                    entry.view(theta), entry.strength, entry.view(scratch)
                )
        return total

    def add_gradient(self, theta, gradient, scratch, include_nonsmooth=True):
        r"""Add :math:`\nabla \Omega(\theta)` to ``gradient``; return the value.

        Parameters
        ----------
        theta : ndarray of shape (size,)
        gradient : ndarray of shape (size,)
            Updated in place.
        scratch : ndarray of shape (size,)
            Work space, overwritten.
        include_nonsmooth : bool, default=True
            False leaves out the non-smooth terms, for solvers that handle
            them by their proximal operator or a reformulation instead.

        Returns
        -------
        value : float
            :math:`\Omega(\theta)` (without the non-smooth terms when
            ``include_nonsmooth`` is False), which the same passes give.
        """
        total = 0.0
        for entry in self.entries:
            if include_nonsmooth or entry.term.smooth:
                total += entry.term.add_gradient(
                    entry.view(theta),
                    entry.strength,
                    entry.view(gradient),
                    entry.view(scratch),
                )
        return total

    @property
    def has_curvature(self):
        """Whether every term states its (diagonal) second derivative."""
        return all(entry.term.add_curvature for entry in self.entries)

    def add_curvature(self, theta, diagonal):
        r"""Add the diagonal of :math:`\nabla^2 \Omega(\theta)` to ``diagonal``.

        Every term acts on each coordinate alone, so the Hessian is diagonal;
        the non-smooth terms contribute their second derivative away from
        their kinks (zero for L1).

        Parameters
        ----------
        theta : ndarray of shape (size,)
        diagonal : ndarray of shape (size,)
            Updated in place.
        """
        for entry in self.entries:
            entry.term.add_curvature(
                entry.view(theta), entry.strength, entry.view(diagonal)
            )

    def prox(self, theta, step, scratch):
        r"""Apply each non-smooth term's proximal operator, scaled by ``step``.

        This is the proximal step after an optimizer's step of size ``step``
        on the smooth part of the loss: for the L1 term each coordinate moves
        toward zero by its step times its lambda, and lands exactly on zero
        if that would take it across.

        Parameters
        ----------
        theta : ndarray of shape (size,)
            Updated in place.
        step : float or ndarray of shape (size,)
            The optimizer's step size, scalar or per coordinate. A
            per-coordinate step is overwritten (with the thresholds), so that
            the step allocates nothing, unless a grouped term needs it intact.
        scratch : ndarray of shape (size,)
            Work space, overwritten.
        """
        per_coordinate = np.ndim(step) > 0
        # A grouped term may share coordinates with an L1 term (applied
        # first: soft then block thresholding is the exact prox of their sum
        # for a scalar step), so the steps are then kept, not overwritten.
        keep_steps = any(entry.term.grouped for entry in self.nonsmooth_entries)
        for entry in self.nonsmooth_entries:
            if per_coordinate and keep_steps:
                threshold = entry.view(step) * entry.strength
            elif per_coordinate:
                threshold = entry.view(step)
                threshold *= entry.strength
            else:
                threshold = step * entry.strength
            entry.term.prox(entry.view(theta), threshold, entry.view(scratch))


class SplitL1:
    r"""The L1 terms made smooth by splitting parameters into two signs.

    Each L1-penalized coordinate is written :math:`\theta_j = p_j - n_j`
    with :math:`p_j, n_j \ge 0`, and :math:`\lambda_j |\theta_j|` replaced
    by the linear :math:`\lambda_j (p_j + n_j)`. Both agree whenever
    :math:`p_j n_j = 0`, which holds at every minimum (lowering both parts
    lowers the objective), so a bound-constrained smooth solver such as
    L-BFGS-B minimises the non-smooth objective exactly: a coordinate whose
    optimum is zero ends with both parts on their bound, exactly zero.

    The solver's variables are :math:`z = (\tilde\theta, n)`:
    :math:`\tilde\theta` is the parameter buffer with :math:`p` in place
    of the penalized coordinates, and :math:`n` holds the negative parts,
    slice after slice. With :math:`f` the smooth rest of the loss,

    .. math::

        \frac{\partial}{\partial p_j} = \frac{\partial f}{\partial
        \theta_j} + \lambda_j, \qquad
        \frac{\partial}{\partial n_j} = -\frac{\partial f}{\partial
        \theta_j} + \lambda_j .

    With no segment to split, :math:`z = \theta` and every method is the
    identity (or zero), so one solver loop serves both cases.

    Parameters
    ----------
    entries : sequence of PenaltyEntry
        The L1 entries to split (a :class:`NetworkPenalty`'s
        ``nonsmooth_entries``), or none.
    size : int
        Length of the parameter buffer.

    Attributes
    ----------
    n_variables : int
        Length of :math:`z`: the buffer's size plus the number of split
        coordinates.
    """

    def __init__(self, entries, size):
        self.size = size
        # (slice of theta, slice of z holding the negative parts, lambda)
        self.parts = []
        offset = size
        for entry in entries:
            length = entry.stop - entry.start
            self.parts.append(
                (
                    slice(entry.start, entry.stop),
                    slice(offset, offset + length),
                    entry.strength,
                )
            )
            offset += length
        self.n_variables = offset

    def split(self, theta):
        r"""Return :math:`z` with :math:`p = \max(\theta, 0)`, :math:`n =
        \max(-\theta, 0)`.

        Parameters
        ----------
        theta : ndarray of shape (size,)

        Returns
        -------
        z : ndarray of shape (n_variables,)
            A new float64 array.
        """
        z = np.empty(self.n_variables)
        z[: self.size] = theta
        for positive, negative, _ in self.parts:
            np.maximum(-z[positive], 0.0, out=z[negative])
            np.maximum(z[positive], 0.0, out=z[positive])
        return z

    def merge(self, z, out):
        r"""Write :math:`\theta = p - n` (and the unsplit coordinates) to ``out``.

        Parameters
        ----------
        z : ndarray of shape (n_variables,)
        out : ndarray of shape (size,)
            The parameter buffer, overwritten.
        """
        out[...] = z[: self.size]
        for positive, negative, _ in self.parts:
            np.subtract(z[positive], z[negative], out=out[positive], casting="unsafe")

    def bounds(self):
        r"""The bounds of :math:`z`: :math:`p, n \ge 0`, the rest free.

        Returns
        -------
        bounds : scipy.optimize.Bounds or None
            None when nothing is split (no bounds).
        """
        if not self.parts:
            return None
        lower = np.full(self.n_variables, -np.inf)
        for positive, negative, _ in self.parts:
            lower[positive] = 0.0
            lower[negative] = 0.0
        return Bounds(lower, np.inf)

    def value(self, z):
        r"""Return :math:`\sum_j \lambda_j (p_j + n_j)`.

        Parameters
        ----------
        z : ndarray of shape (n_variables,)

        Returns
        -------
        value : float
        """
        return sum(
            strength * (float(z[positive].sum()) + float(z[negative].sum()))
            for positive, negative, strength in self.parts
        )

    def gradient(self, theta_gradient):
        r"""Chain the smooth gradient to :math:`z` and add the L1 terms'.

        Parameters
        ----------
        theta_gradient : ndarray of shape (size,)
            :math:`\partial f / \partial \theta`, split L1 terms left
            out.

        Returns
        -------
        gradient : ndarray of shape (n_variables,)
            A new float64 array (the solver may keep it).
        """
        out = np.empty(self.n_variables)
        out[: self.size] = theta_gradient
        for positive, negative, strength in self.parts:
            np.subtract(strength, out[positive], out=out[negative])
            out[positive] += strength
        return out


class OrthantL1:
    r"""The L1 terms made smooth by fixing each coordinate's sign (its orthant).

    Within an orthant, where every L1-penalized coordinate keeps the sign
    :math:`s_j \in \{-1, 0, +1\}`, the L1 terms are linear,
    :math:`\lambda_j |\theta_j| = \lambda_j s_j \theta_j`, and the objective
    is smooth; the bounds :math:`s_j \theta_j \ge 0` (and
    :math:`\theta_j = 0` where :math:`s_j = 0`) keep it there. Unlike
    :class:`SplitL1`, whose two parts of a coordinate are a flat direction
    of the objective that L-BFGS-B crawls along, this is the original
    problem restricted to a face, as well conditioned as the data make it:
    L-BFGS-B converges on it to the precision the data allow. It polishes
    the solution :class:`SplitL1` finds.

    A zero coordinate is released into the orthant of :math:`-\partial f /
    \partial \theta_j` when its optimality condition
    :math:`|\partial f / \partial \theta_j| \le \lambda_j` fails, so that a
    round of orthant solves ends when every zero satisfies it: the
    subgradient conditions of the non-smooth objective hold everywhere.

    The variables are :math:`\theta` itself; the methods have the interface
    of :class:`SplitL1`.

    Parameters
    ----------
    entries : sequence of PenaltyEntry
        The L1 entries to restrict to their orthant.
    size : int
        Length of the parameter buffer.
    theta : ndarray of shape (size,)
        The point whose orthant to take.
    smooth_gradient : ndarray of shape (size,)
        :math:`\partial f / \partial \theta` at ``theta``, the L1 terms left
        out; decides which zeros to release.

    Attributes
    ----------
    n_released : int
        Number of zero coordinates released because their optimality
        condition failed.
    """

    def __init__(self, entries, size, theta, smooth_gradient):
        self.size = self.n_variables = size
        self.strengths = np.zeros(size)
        for entry in entries:
            self.strengths[entry.start : entry.stop] = entry.strength
        penalized = self.strengths > 0
        self.signs = np.where(penalized, np.sign(theta), 0.0)
        release = penalized & (theta == 0) & (np.abs(smooth_gradient) > self.strengths)
        self.signs[release] = -np.sign(smooth_gradient[release])
        self.n_released = int(np.count_nonzero(release))
        self.lower = np.where(penalized & (self.signs >= 0), 0.0, -np.inf)
        self.upper = np.where(penalized & (self.signs <= 0), 0.0, np.inf)

    def split(self, theta):
        r"""Return the variables, :math:`\theta` as float64, in its orthant."""
        return np.clip(theta.astype(np.float64), self.lower, self.upper)

    def merge(self, z, out):
        r"""Write :math:`\theta = z` to ``out``."""
        out[...] = z

    def bounds(self):
        """The orthant's bounds, as scipy.optimize.Bounds."""
        return Bounds(self.lower, self.upper)

    def value(self, z):
        r"""Return :math:`\sum_j \lambda_j s_j \theta_j`."""
        return float(np.dot(self.strengths * self.signs, z))

    def gradient(self, theta_gradient):
        r"""Add the L1 terms' gradient :math:`\lambda_j s_j`; a new float64 array."""
        return theta_gradient + self.strengths * self.signs


# The reformulations that make L1 smooth for L-BFGS-B: split, then polish
# (defined after the term, which they need).
L1.lbfgs_reformulations = (SplitL1, OrthantL1)

#: What a solver may need of a non-smooth term, as messages describe it.
CAPABILITIES = {
    "prox": "a proximal step,",
    "lbfgs_reformulations": "a smooth reformulation for L-BFGS-B,",
}


class PenaltyParameter(NamedTuple):
    r"""An estimator parameter that puts one penalty term on each layer.

    A row of :data:`ESTIMATOR_PENALTIES`: everything the package needs to
    know of a penalty hyperparameter. The estimators' signatures (default
    0.0, no penalty), their parameter constraints, the objective and the
    parameter's entry in their docstrings, the search's order of lambdas and
    the collapse warning are all made from the rows.

    Attributes
    ----------
    term : type
        The :class:`PenaltyTerm` subclass.
    parameters : {'weights', 'biases'}
        What it penalizes in each layer.
    formula : str
        The term in the objective, in LaTeX (``\lambda_{1,W} \sum |W|``).
    doc : str
        The parameter's description in the docstrings, without the sentence
        on per-layer values that every penalty parameter shares.
    """

    term: type
    parameters: str
    formula: str
    doc: str


#: Estimator parameter -> :class:`PenaltyParameter`. Each parameter is a
#: lambda per layer (or one for all). A new penalty is a term class and a row
#: here; the contract tests of tests/test_penalties.py run its term.
ESTIMATOR_PENALTIES = {
    "l1_weight": PenaltyParameter(
        L1,
        "weights",
        r"\lambda_{1,W} \sum |W|",
        r"""
        :math:`\lambda_{1,W}`: strength of the penalty
        :math:`\lambda_{1,W} \sum |W|` on the weights, with gradient
        :math:`\lambda_{1,W}\,\mathrm{sign}_+(W)` (+1 at zero).""",
    ),
    "l1_bias": PenaltyParameter(
        L1,
        "biases",
        r"\lambda_{1,b} \sum |b|",
        r"""
        :math:`\lambda_{1,b}`: the same L1 penalty on the biases.""",
    ),
    "l2_weight": PenaltyParameter(
        L2,
        "weights",
        r"\lambda_{2,W} \sum W^2",
        r"""
        :math:`\lambda_{2,W}`: strength of :math:`\lambda_{2,W} \sum W^2`
        on the weights, with gradient :math:`2 \lambda_{2,W} W`. Unlike
        scikit-learn's ``alpha`` there is no factor 1/2 and no division by the
        batch size: ``alpha = 2 * batch_size * l2_weight`` is the equivalent.""",
    ),
    "l2_bias": PenaltyParameter(
        L2,
        "biases",
        r"\lambda_{2,b} \sum b^2",
        r"""
        :math:`\lambda_{2,b}`: the same L2 penalty on the biases.""",
    ),
    "group_l1_weight": PenaltyParameter(
        GroupLasso,
        "weights",
        r"\lambda_{G} \sum_i \|W_{i,:}\|_2",
        r"""
        :math:`\lambda_{G}`: strength of the group penalty
        :math:`\lambda_{G} \sum_i \|W_{i,:}\|_2` on each layer's weights,
        one group per row: the outgoing weights of an input (first layer) or
        of a hidden unit (later layers). With ``l1_method='proximal'`` it
        sets whole rows exactly to zero, removing inputs and hidden units
        (see :meth:`sparsity`, ``feature_importances_`` and :meth:`compact`).
        Its gradient is :math:`\lambda_G W_{i,:} / \|W_{i,:}\|_2`, 0 for a
        zero row.""",
    ),
}

#: The penalty terms by name, in the order a coordinate's terms are added:
#: those of ESTIMATOR_PENALTIES, in its order (the contract tests of
#: tests/test_penalties.py run each).
TERMS = {row.term.__name__: row.term for row in ESTIMATOR_PENALTIES.values()}
