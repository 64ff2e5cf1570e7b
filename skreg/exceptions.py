"""Warnings that skreg's estimators raise, beyond scikit-learn's own."""

from sklearn.exceptions import ConvergenceWarning


class PenaltyCollapseWarning(ConvergenceWarning):
    """The penalty removed every weight of a layer: the model predicts a constant.

    Raised by ``fit`` and ``partial_fit`` when a layer's weights are all
    exactly zero after training (with ``l1_method='proximal'``, an L1 lambda
    strong enough sets them there), so that nothing of the input reaches the
    output. The message names the layer and the lambda to lower. It is a
    :class:`~sklearn.exceptions.ConvergenceWarning`, so filters for those
    catch it too.
    """
