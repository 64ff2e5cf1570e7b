"""skreg imports from anywhere; its wheel and sdist hold what they should.

The README's commands install the clone in editable mode: hatchling puts the
clone's root on sys.path, so ``import skreg`` finds the package ``skreg/``
whatever the current folder is.
"""

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import skreg

PACKAGE = Path(skreg.__file__).resolve().parent
CLONE = PACKAGE.parent
IMPORT = (
    "from skreg import MLPRegularizedClassifier; import skreg; print(skreg.__file__)"
)


def imported_from(cwd):
    result = subprocess.run(
        [sys.executable, "-c", IMPORT],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip()).resolve()


def test_import_from_a_folder_holding_a_clone_named_skreg(tmp_path):
    # A clone of the repository in the current folder, named like the
    # package: Python sees that folder as a namespace package, which a
    # regular package later on sys.path must win over.
    (tmp_path / "skreg" / "docs").mkdir(parents=True)
    (tmp_path / "skreg" / "README.md").write_text("a clone\n")
    assert imported_from(tmp_path) == PACKAGE / "__init__.py"


@pytest.mark.parametrize(
    "where", ["inside the clone", "the clone's parent", "the package", "elsewhere"]
)
def test_import_from_anywhere(where, tmp_path):
    cwd = {
        "inside the clone": CLONE,
        "the clone's parent": CLONE.parent,
        "the package": PACKAGE,
        "elsewhere": tmp_path,
    }[where]
    assert imported_from(cwd) == PACKAGE / "__init__.py"


@pytest.fixture(scope="module")
def distributions(tmp_path_factory):
    """The wheel and the sdist, built from the clone with hatchling."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=CLONE,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        wheel_names = archive.namelist()
    with tarfile.open(sdist) as archive:
        # Names without the leading 'skreg-<version>/'.
        sdist_names = [name.partition("/")[2] for name in archive.getnames()]
    return wheel_names, sdist_names


def test_wheel_holds_the_package_and_its_metadata_only(distributions):
    wheel_names, _ = distributions
    tops = {name.split("/")[0] for name in wheel_names}
    assert tops == {"skreg", f"skreg-{skreg.__version__}.dist-info"}
    modules = {Path(name).name for name in wheel_names if name.startswith("skreg/")}
    assert {"__init__.py", "_base.py", "_training.py", "_kernels.py"} <= modules
    assert not [name for name in wheel_names if "__pycache__" in name]
    assert any(name.endswith("licenses/LICENSE") for name in wheel_names)


def test_sdist_holds_sources_and_no_build_leftovers(distributions):
    _, sdist_names = distributions
    tops = {name.split("/")[0] for name in sdist_names if name}
    assert {"skreg", "tests", "pyproject.toml", "README.md", "LICENSE"} <= tops
    leftovers = [
        name
        for name in sdist_names
        if any(
            part in {"__pycache__", ".venv", "_build", ".pytest_cache", ".git"}
            for part in Path(name).parts
        )
    ]
    assert not leftovers
