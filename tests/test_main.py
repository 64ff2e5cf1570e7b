"""The main job, ``python -m skreg``, on a tiny budget."""

import doctest
import subprocess
import sys

import pytest

import skreg.__main__ as main_job


def test_docstring_examples():
    # pytest's --doctest-modules skips __main__.py files, so run them here.
    failures, tried = doctest.testmod(main_job)
    assert tried > 0
    assert failures == 0


def test_report_has_the_three_tables(capsys):
    main_job.main(["--max-iter", "2", "--cv", "2"])
    report = capsys.readouterr().out
    for setting, _ in main_job.SETTINGS:
        assert setting in report
    assert "1. One penalty at a time" in report
    assert "2. Grid searches, 2-fold" in report
    assert "3. The best model of each search" in report
    # The search rows name every lambda, and scikit-learn's alpha grid.
    assert "l1_weight  l1_bias  l2_weight  l2_bias" in report
    assert "same as l2_weight" in report


def test_plot_saves_the_regularization_path(tmp_path, capsys):
    figure = tmp_path / "path.png"
    main_job.main(["--max-iter", "1", "--cv", "2", "--plot", str(figure)])
    assert figure.stat().st_size > 0
    assert f"saved to {figure}" in capsys.readouterr().out


def test_help_explains_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--max-iter", "--cv", "--n-jobs", "--random-state", "--plot"):
        assert option in result.stdout


@pytest.mark.parametrize("arguments", [["--cv", "1"], ["--max-iter", "0"]])
def test_bad_arguments_exit_with_a_message(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main_job.main(arguments)
    assert exit_info.value.code == 2
    assert "--max-iter must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "filename, message",
    [
        ("no-such-folder/path.png", "does not exist"),
        ("path.unknown-format", "must name an image format"),
        ("path", "must name an image format"),
    ],
)
def test_bad_plot_path_fails_before_any_fit(tmp_path, filename, message):
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--plot", str(tmp_path / filename)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    # One line of error after the usage line: no traceback.
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
