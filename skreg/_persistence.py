"""What a skreg model saved with skops.io holds: the types to trust when loading.

A skops file is data, and :func:`skops.io.load` builds only the types it
trusts by default (NumPy arrays, built-in containers, scikit-learn's
estimators, NumPy's ``RandomState``) and those it is given. skreg's own
types are not among the defaults; this module lists them from the code that
defines them, so that the list never falls behind a new optimizer or
schedule.
"""

from ._classifier import MLPRegularizedClassifier
from ._optimizers import OPTIMIZERS, SCHEDULES
from ._regressor import MLPRegularizedRegressor
from ._search import WarmStartGridSearchCV


def _qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def skops_trusted_types():
    """The names of skreg's types that a saved skreg model or search may hold.

    Pass it as ``trusted`` to :func:`skops.io.load`: it comes from the
    installed skreg, not from the file, so a file that needs anything more
    is refused. The estimators, the search, every optimizer of the solver
    registry and every learning-rate schedule.

    Returns
    -------
    names : list of str
        Sorted fully qualified names, as :func:`skops.io.get_untrusted_types`
        reports them.

    Examples
    --------
    >>> from skreg import skops_trusted_types
    >>> "skreg._optimizers.AdamOptimizer" in skops_trusted_types()
    True
    """
    types = [
        MLPRegularizedClassifier,
        MLPRegularizedRegressor,
        WarmStartGridSearchCV,
        *OPTIMIZERS.values(),
        *SCHEDULES.values(),
    ]
    return sorted(_qualified_name(cls) for cls in types)
