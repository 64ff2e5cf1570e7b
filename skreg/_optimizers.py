r"""Stochastic optimizers and learning-rate schedules, in place over the flat buffer.

Each optimizer keeps its state in flat arrays with the parameter buffer's
layout (see :mod:`skreg._network`), so one update is a handful of vectorised
operations over the whole network, with no allocation: intermediate results
go to a scratch buffer that is allocated once (and left out of pickles).
Everything runs through NumPy, whose BLAS does the network's matrix products:
calling a second BLAS (scipy's) in the same loop makes the two libraries'
thread pools fight over the cores, which costs far more than it saves.

The contract every optimizer meets (:class:`Optimizer`) is what the training
core calls: :meth:`~Optimizer.update`, :meth:`~Optimizer.step_size` (for a
proximal step), :meth:`~Optimizer.state_arrays` (checked for divergence),
:meth:`~Optimizer.iteration_ends` and :meth:`~Optimizer.trigger_stopping`.
The learning rate comes from a schedule (:data:`SCHEDULES`), which any
optimizer takes. :data:`OPTIMIZERS` maps the estimators' ``solver`` names to
the classes: adding an optimizer is one class and one row there (and one row
in the tests' table of hand-computed steps).
"""

from abc import ABC, abstractmethod

import numpy as np

from ._functions import flush_subnormal

#: The adaptive schedule divides the learning rate by this factor each time
#: the loss stops improving...
ADAPTIVE_DIVISOR = 5.0
#: ...until it falls below this value; then training stops.
ADAPTIVE_MIN_LEARNING_RATE = 1e-6


class ConstantSchedule:
    r"""The learning rate :math:`\eta = \eta_0`, and a stop at no improvement.

    Parameters
    ----------
    learning_rate_init : float
        :math:`\eta_0`.
    power_t : float, default=0.5
        Unused; accepted so that every schedule shares one signature.

    Attributes
    ----------
    learning_rate : float
        The current :math:`\eta`.
    """

    def __init__(self, learning_rate_init, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.learning_rate = float(learning_rate_init)

    def epoch_ends(self, time_step):
        """Update :attr:`learning_rate` after an epoch.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far.
        """

    def no_improvement(self, message, verbose):
        """Decide whether to stop when the loss stops improving.

        Parameters
        ----------
        message : str
            Why training would stop; printed when ``verbose``.
        verbose : bool

        Returns
        -------
        stop : bool
        """
        if verbose:
            print(message + " Stopping.")
        return True


class InvScalingSchedule(ConstantSchedule):
    r"""The learning rate :math:`\eta = \eta_0 / (t + 1)^{p}` after each epoch.

    :math:`t` is the number of samples seen and :math:`p` is ``power_t``.
    """

    def epoch_ends(self, time_step):
        self.learning_rate = float(
            self.learning_rate_init / (time_step + 1) ** self.power_t
        )


class AdaptiveSchedule(ConstantSchedule):
    r"""Divide :math:`\eta` by 5 each time the loss stops improving.

    Training stops once :math:`\eta` has fallen to 1e-6 or below.
    """

    def no_improvement(self, message, verbose):
        if self.learning_rate <= ADAPTIVE_MIN_LEARNING_RATE:
            if verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= ADAPTIVE_DIVISOR
        if verbose:
            print(message + f" Setting learning rate to {self.learning_rate:f}")
        return False


#: The ``learning_rate`` parameter's values.
SCHEDULES = {
    "constant": ConstantSchedule,
    "invscaling": InvScalingSchedule,
    "adaptive": AdaptiveSchedule,
}


class Optimizer(ABC):
    """The contract of an optimizer over the flat parameter buffer.

    Parameters
    ----------
    n_parameters : int
    dtype : numpy dtype
        The state's dtype, the parameters'.
    learning_rate_init : float
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule, a key of :data:`SCHEDULES`.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    Attributes
    ----------
    schedule : ConstantSchedule
        The learning-rate schedule.
    """

    #: Estimator parameter -> constructor argument, for :func:`make_optimizer`.
    estimator_parameters: dict = {}

    def __init__(
        self,
        n_parameters,
        dtype,
        learning_rate_init,
        learning_rate="constant",
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.schedule = SCHEDULES[learning_rate](learning_rate_init, power_t)
        self.dtype = np.dtype(dtype)
        self.n_parameters = n_parameters
        self._scratch = None

    @property
    def scratch(self):
        """A work buffer of the parameters' size, allocated on first use."""
        if self._scratch is None:
            self._scratch = np.empty(self.n_parameters, dtype=self.dtype)
        return self._scratch

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_scratch"] = None
        # The dtype's name rather than a numpy.dtype object, so that loading
        # a fitted model with skops.io trusts nothing beyond skreg's types.
        state["dtype"] = self.dtype.name
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.dtype = np.dtype(self.dtype)

    @abstractmethod
    def update(self, params, gradient):
        """Take one step in place.

        Parameters
        ----------
        params : ndarray of shape (n_parameters,)
            Updated in place.
        gradient : ndarray of shape (n_parameters,)
            Read only.
        """

    @abstractmethod
    def step_size(self, out=None):
        """The step the last update took per unit of gradient.

        A proximal step after the update thresholds each coordinate by this
        step times its lambda.

        Parameters
        ----------
        out : ndarray of shape (n_parameters,), default=None
            Where to write a per-coordinate step; a scalar step ignores it.

        Returns
        -------
        step : float or ndarray of shape (n_parameters,)
        """

    @abstractmethod
    def state_arrays(self):
        """The optimizer's state: flat arrays with the parameters' layout."""

    def iteration_ends(self, time_step):
        """Hook called after each epoch with the number of samples seen.

        Zeroes the subnormal entries of the state (see
        :func:`~skreg._functions.flush_subnormal`): the moments of a
        coordinate whose gradient stays zero (a dead ReLU unit) decay
        geometrically into subnormal numbers within a few hundred steps, and
        would slow every later update. Then the schedule updates the rate.
        """
        for state in self.state_arrays():
            flush_subnormal(state)
        self.schedule.epoch_ends(time_step)

    def trigger_stopping(self, message, verbose):
        """Decide whether to stop when the loss stops improving (the schedule's call).

        Parameters
        ----------
        message : str
        verbose : bool

        Returns
        -------
        stop : bool
        """
        return self.schedule.no_improvement(message, verbose)


class SGDOptimizer(Optimizer):
    r"""Stochastic gradient descent with momentum.

    With velocity :math:`v`, momentum :math:`\mu` and learning rate
    :math:`\eta` (from the schedule), one step on the gradient :math:`g` is

    .. math::

        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v \quad\text{or, with Nesterov's
        momentum,}\quad \theta \leftarrow \theta + \mu v - \eta g .

    Parameters
    ----------
    n_parameters : int
    dtype : numpy dtype
    learning_rate_init : float
        :math:`\eta_0`.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule: 'invscaling' sets :math:`\eta = \eta_0 / (t + 1)^{p}`
        after each epoch, :math:`t` being the number of samples seen and
        :math:`p` ``power_t``; 'adaptive' divides :math:`\eta` by 5 each time
        the loss stops improving, until it falls below 1e-6.
    momentum : float, default=0.9
    nesterov : bool, default=True
    power_t : float, default=0.5

    Attributes
    ----------
    velocity : ndarray of shape (n_parameters,)
    learning_rate : float
        The current :math:`\eta`.
    """

    estimator_parameters = {
        "learning_rate": "learning_rate",
        "power_t": "power_t",
        "momentum": "momentum",
        "nesterovs_momentum": "nesterov",
    }

    def __init__(
        self,
        n_parameters,
        dtype,
        learning_rate_init,
        learning_rate="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(
            n_parameters, dtype, learning_rate_init, learning_rate, power_t
        )
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_parameters, dtype=self.dtype)

    @property
    def learning_rate(self):
        r"""The current :math:`\eta`, the schedule's."""
        return self.schedule.learning_rate

    def update(self, params, gradient):
        scaled_gradient = np.multiply(gradient, self.learning_rate, out=self.scratch)
        self.velocity *= self.momentum
        self.velocity -= scaled_gradient
        if self.nesterov:
            params -= scaled_gradient
            params += np.multiply(self.velocity, self.momentum, out=self.scratch)
        else:
            params += self.velocity

    def step_size(self, out=None):
        r"""The step taken along a steady gradient, :math:`\eta / (1 - \mu)`.

        Once the velocity has built up, a constant gradient :math:`g` moves
        the parameters by :math:`-\eta g / (1 - \mu)` per step (with or
        without Nesterov's momentum), not by :math:`-\eta g`. A proximal
        step must use this step size for the fixed point to be the minimum
        of the penalized loss: with :math:`\eta` alone, the L1 penalty
        would act as if its lambda were multiplied by :math:`1 - \mu`.

        Parameters
        ----------
        out : ndarray, default=None
            Unused: the step is the same for every coordinate.

        Returns
        -------
        step : float
            :math:`\eta / (1 - \mu)`; :math:`\eta` when :math:`\mu = 1`,
            where the velocity never settles.
        """
        if self.momentum < 1:
            return self.learning_rate / (1 - self.momentum)
        return self.learning_rate

    def state_arrays(self):
        return (self.velocity,)


class AdamOptimizer(Optimizer):
    r"""Adam (Kingma & Ba, 2014).

    At step :math:`t`, on the gradient :math:`g`, with :math:`\eta` from the
    schedule (constant unless told otherwise):

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \eta_t = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    Parameters
    ----------
    n_parameters : int
    dtype : numpy dtype
    learning_rate_init : float
        :math:`\eta_0`.
    beta_1, beta_2 : float
    epsilon : float
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule of :math:`\eta`.
    power_t : float, default=0.5

    Attributes
    ----------
    t : int
        Number of steps taken.
    first_moment, second_moment : ndarray of shape (n_parameters,)
        :math:`m` and :math:`v`.
    learning_rate : float
        :math:`\eta_t` of the last step.
    proximal_rate : float
        :math:`\eta \sqrt{1 - \beta_2^t}` of the last step, the rate of
        :meth:`step_size`.
    """

    # As scikit-learn's MLP, the estimators give Adam a constant schedule:
    # their learning_rate parameter is sgd's.
    estimator_parameters = {
        "beta_1": "beta_1",
        "beta_2": "beta_2",
        "epsilon": "epsilon",
    }

    def __init__(
        self,
        n_parameters,
        dtype,
        learning_rate_init,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        learning_rate="constant",
        power_t=0.5,
    ):
        super().__init__(
            n_parameters, dtype, learning_rate_init, learning_rate, power_t
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.learning_rate = float(learning_rate_init)
        self.proximal_rate = float(learning_rate_init)
        self.first_moment = np.zeros(n_parameters, dtype=self.dtype)
        self.second_moment = np.zeros(n_parameters, dtype=self.dtype)

    def advance(self):
        r"""Count the step and set :math:`\eta_t`, the bias-corrected rate, and
        the rate of the proximal step, :math:`\eta \sqrt{1 - \beta_2^t}`.

        Called by :meth:`update`, and by a fused step kernel in its place.
        """
        self.t += 1
        # A Python float keeps float32 arithmetic in float32.
        self.proximal_rate = float(
            self.schedule.learning_rate * np.sqrt(1 - self.beta_2**self.t)
        )
        self.learning_rate = float(
            self.schedule.learning_rate
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )

    def update(self, params, gradient):
        self.advance()
        scratch = self.scratch
        self.first_moment *= self.beta_1
        self.first_moment += np.multiply(gradient, 1 - self.beta_1, out=scratch)
        self.second_moment *= self.beta_2
        squared = np.square(gradient, out=scratch)
        squared *= 1 - self.beta_2
        self.second_moment += squared
        # theta -= eta_t * m / (sqrt(v) + eps)
        denominator = np.sqrt(self.second_moment, out=scratch)
        denominator += self.epsilon
        step = np.divide(self.first_moment, denominator, out=scratch)
        step *= self.learning_rate
        params -= step

    def state_arrays(self):
        return (self.first_moment, self.second_moment)

    def step_size(self, out=None):
        r"""The per-coordinate step :math:`\eta \sqrt{1 - \beta_2^t} /
        (\sqrt{v} + \epsilon)`, adam's metric.

        The update moves :math:`\theta` by :math:`\eta \hat m / (\sqrt{\hat
        v} + \hat\epsilon)` with :math:`\hat m = m / (1 - \beta_1^t)` the
        bias-corrected mean gradient, :math:`\hat v = v / (1 - \beta_2^t)`
        and :math:`\hat\epsilon = \epsilon / \sqrt{1 - \beta_2^t}`: a step
        of this size per unit of :math:`\hat m`. The factor :math:`1 / (1 -
        \beta_1^t)` of :math:`\eta_t` corrects :math:`m`, not the metric;
        a proximal step with :math:`\eta_t` would threshold by up to
        :math:`1 / (1 - \beta_1)` times lambda in the first steps (10 times
        at the first), and zero weights the penalty keeps.

        Parameters
        ----------
        out : ndarray of shape (n_parameters,), default=None
            Where to write it; a new array when None.

        Returns
        -------
        step : ndarray of shape (n_parameters,)
        """
        step = np.sqrt(self.second_moment, out=out)
        step += self.epsilon
        np.divide(self.proximal_rate, step, out=step)
        return step


#: The stochastic solvers: ``solver`` name -> optimizer class.
OPTIMIZERS = {
    "sgd": SGDOptimizer,
    "adam": AdamOptimizer,
}


def solver_name(optimizer_class):
    """The ``solver`` value that names an optimizer class, for messages.

    Parameters
    ----------
    optimizer_class : type

    Returns
    -------
    solver : str
        Its key in :data:`OPTIMIZERS`, or the class's name if it has none.
    """
    for name, cls in OPTIMIZERS.items():
        if cls is optimizer_class:
            return name
    return optimizer_class.__name__


def make_optimizer(solver, n_parameters, dtype, parameters):
    """Build the optimizer a stochastic ``solver`` names.

    Parameters
    ----------
    solver : str
        A key of :data:`OPTIMIZERS`.
    n_parameters : int
    dtype : numpy dtype
    parameters : dict
        The estimator's parameters (``get_params()``): ``learning_rate_init``
        and those the class lists in ``estimator_parameters``.

    Returns
    -------
    optimizer : Optimizer

    Raises
    ------
    ValueError
        If ``solver`` names no optimizer: nothing trains with another one.
    """
    try:
        cls = OPTIMIZERS[solver]
    except KeyError:
        raise ValueError(
            f"solver={solver!r} names no stochastic optimizer; the ones there "
            f"are {sorted(OPTIMIZERS)}."
        ) from None
    arguments = {
        argument: parameters[name]
        for name, argument in cls.estimator_parameters.items()
    }
    return cls(n_parameters, dtype, parameters["learning_rate_init"], **arguments)
