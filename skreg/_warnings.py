"""Warnings that point at the user's line, not at a library frame."""

import os
import sys
import warnings

import joblib
import sklearn

#: Frames in these folders are skipped: skreg's own, scikit-learn's (its
#: ``_fit_context`` wraps ``fit``; its searches and pipelines call it) and
#: joblib's (through which a search calls fit, even with n_jobs=1).
LIBRARY_FOLDERS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, sklearn.__file__, joblib.__file__)
)


def warn(message, category):
    """Issue a warning attributed to the first frame outside skreg and scikit-learn.

    A fixed ``stacklevel`` is right for one call path only: ``fit`` called
    directly, from a Pipeline or from a search reaches the warning through
    different numbers of frames. Counting them here makes the warning name
    the user's own line (the one calling ``fit``, ``Pipeline.fit`` or
    ``GridSearchCV.fit``) whichever path it took.

    Parameters
    ----------
    message : str
    category : type of Warning
    """
    frame = sys._getframe(1)
    # stacklevel=2 is warn's caller, the frame above this function.
    stacklevel = 2
    while frame is not None and frame.f_code.co_filename.startswith(LIBRARY_FOLDERS):
        frame = frame.f_back
        stacklevel += 1
    warnings.warn(message, category, stacklevel=stacklevel)
