"""The installed package imports from anywhere, as the README's commands install it."""

import subprocess
import sys


def test_import_from_a_folder_holding_a_clone_named_skreg(tmp_path):
    # A clone of the repository in the current folder, named like the
    # package: with a flat layout, Python takes that folder for a namespace
    # package and `from skreg import ...` fails with "unknown location".
    (tmp_path / "skreg" / "docs").mkdir(parents=True)
    (tmp_path / "skreg" / "README.md").write_text("a clone\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from skreg import MLPRegularizedClassifier; import skreg; "
            "print(skreg.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("__init__.py")
