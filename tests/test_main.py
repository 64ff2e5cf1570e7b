"""The main job, ``python -m skreg``, on a tiny budget."""

import doctest
import subprocess
import sys

import numpy as np
import pytest

import skreg.__main__ as main_job


def test_docstring_examples():
    # pytest's --doctest-modules skips __main__.py files, so run them here.
    failures, tried = doctest.testmod(main_job)
    assert tried > 0
    assert failures == 0


TINY = ["--max-iter", "3", "--repeats", "1"]


def test_report_has_both_tables_and_a_progress_line_per_stage(capsys):
    main_job.main(TINY)
    report = capsys.readouterr().out
    for label, _ in main_job.SINGLE_PENALTIES:
        assert label in report
    assert "best: " in report
    assert "1. Each penalty alone, and the best combination" in report
    assert "2. The same search (15 candidates x 3 folds), median of 1 run" in report
    for search in ("GridSearchCV", "WarmStartGridSearchCV"):
        assert f"\n{search} " in report
    progress = [line for line in report.splitlines() if line.startswith("[")]
    assert [line[:5] for line in progress] == ["[1/3]", "[2/3]", "[3/3]"]


def test_rows_report_what_the_models_kept():
    X_train, X_test, y_train, y_test = main_job.make_data(0)
    assert X_train.shape == (main_job.N_TRAIN, main_job.N_FEATURES)
    pipeline = main_job.make_model(5, 0, l1_bias=0.01)
    main_job.quietly(lambda: pipeline.fit(X_train, y_train))
    row = main_job.describe("l1_bias", pipeline, X_test, y_test)
    biases = np.concatenate(pipeline[-1].intercepts_)
    # The proximal L1 bias penalty zeroes biases exactly; the row counts them.
    assert row["zero biases"] == f"{np.count_nonzero(biases == 0)}/{biases.size}"
    kept = np.flatnonzero(pipeline[-1].coefs_[0].any(axis=1))
    assert row["inputs kept"] == f"{kept.size}/{main_job.N_FEATURES}"
    assert row["test accuracy"] == pipeline.score(X_test, y_test)


def test_plot_saves_the_search_figure(tmp_path, capsys):
    figure = tmp_path / "path.png"
    main_job.main([*TINY, "--plot", str(figure)])
    assert figure.stat().st_size > 0
    assert f"saved to {figure}" in capsys.readouterr().out


def test_help_explains_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--max-iter", "--repeats", "--random-state", "--plot"):
        assert option in result.stdout


@pytest.mark.parametrize("arguments", [["--repeats", "0"], ["--max-iter", "0"]])
def test_bad_arguments_exit_with_a_message(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main_job.main(arguments)
    assert exit_info.value.code == 2
    assert "--max-iter and --repeats must be at least 1" in capsys.readouterr().err


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
