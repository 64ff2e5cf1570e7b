"""The numba engine is optional: skreg imports without it and says how to get it."""

import subprocess
import sys

import pytest

from skreg._engines import NUMBA_INSTALL_HINT, load_kernels, numba_available


def test_importing_skreg_imports_neither_numba_nor_the_kernels():
    code = (
        "import sys, skreg; "
        "print(sorted({'numba', 'skreg._kernels'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_numba_loading_the_kernels_names_the_extra(monkeypatch):
    # None in sys.modules makes `import numba` raise ImportError.
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "skreg._kernels", raising=False)
    assert not numba_available()
    with pytest.raises(ImportError, match=r'pip install "skreg\[numba\]"'):
        load_kernels()
    assert NUMBA_INSTALL_HINT == 'pip install "skreg[numba]"'


def test_with_numba_the_kernels_load():
    pytest.importorskip("numba")
    assert numba_available()
    assert "adam_step" in vars(load_kernels())
