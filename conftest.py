"""Collection rules for the whole repository (pyproject's testpaths).

``--doctest-modules`` imports every module of src/skreg; the numba engine's
kernels need the optional dependency numba, so they are skipped without it.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("numba") is None:
    collect_ignore.append("src/skreg/_kernels.py")
