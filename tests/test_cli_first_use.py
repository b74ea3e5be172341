"""The command line as a new user meets it (issue 13): one-line mistakes, bugs with tracebacks,
help that explains itself, a run that says what it did, reproduce that saves and estimates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import scipy.io

from ldlkit import cli
from ldlkit.cli import main
from ldlkit.datasets import DATA_ENV, make_artificial
from ldlkit.experiments import RESULTS_FILE

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--methods", "MeanPredictor", "--folds", "2"]


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("ldlkit: error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- 1. --out faults are one line; library bugs keep their traceback -----------------------------
def test_out_naming_an_existing_file_is_one_line(tmp_path, capsys):
    (tmp_path / "taken").write_text("not a folder")
    assert main(["run", "--quiet", *QUICK, "--out", "taken"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--out taken" in line and "a file of that name exists" in line


def test_out_under_dev_null_is_one_line(capsys):
    assert main(["run", "--quiet", *QUICK, "--out", "/dev/null/x"]) == 2
    assert "cannot create the folder" in _one_error_line(capsys.readouterr().err)
    assert main(["reproduce", "uaknn-ablation", "--quiet", "--out", "/dev/null/x"]) == 2
    assert "/dev/null/x" in _one_error_line(capsys.readouterr().err)


def test_empty_out_is_an_error_not_a_silent_run_without_saving(capsys):
    # An empty --out (e.g. an unset shell variable) used to run and save nothing.
    assert main(["run", "--quiet", *QUICK, "--out", ""]) == 2
    assert "--out is empty" in _one_error_line(capsys.readouterr().err)
    assert main(["reproduce", "uaknn-ablation", "--quiet", "--out", ""]) == 2
    assert "--out is empty" in _one_error_line(capsys.readouterr().err)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_out_in_a_read_only_folder_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["run", "--quiet", *QUICK, "--out", str(locked / "res")]) == 2
        _one_error_line(capsys.readouterr().err)
        assert main(["run", "--quiet", *QUICK, "--out", str(locked)]) == 2
        assert "not writable" in _one_error_line(capsys.readouterr().err)
    finally:
        locked.chmod(0o700)


def test_an_unwritable_out_creates_nothing_and_runs_nothing(tmp_path, capsys, monkeypatch):
    from ldlkit import experiments

    ran = []
    monkeypatch.setattr(experiments, "run_experiment", lambda *a, **k: ran.append(1))
    (tmp_path / "taken").write_text("")
    assert main(["run", *QUICK, "--out", "taken/sub"]) == 2
    assert ran == [] and capsys.readouterr().out == ""


@pytest.mark.parametrize("bug", [TypeError, KeyError, AttributeError, ZeroDivisionError])
def test_a_library_bug_keeps_its_traceback(monkeypatch, bug):
    from ldlkit import experiments

    def broken(*args, **kwargs):
        raise bug("an internal mistake")

    monkeypatch.setattr(experiments, "compare", broken)
    with pytest.raises(bug, match="an internal mistake"):
        main(["run", "--quiet", *QUICK])


def test_an_import_error_inside_ldlkit_is_a_bug_but_a_missing_extra_is_not(monkeypatch, capsys):
    from ldlkit import experiments

    def internal(*args, **kwargs):
        raise ImportError("cannot import name 'gone' from 'ldlkit.base'", name="ldlkit.base")

    monkeypatch.setattr(experiments, "compare", internal)
    with pytest.raises(ImportError, match="gone"):
        main(["run", "--quiet", *QUICK])

    def missing_extra(*args, **kwargs):
        # What ldlkit._optional.require_torch raises where torch is not installed.
        cause = ImportError("No module named 'torch'", name="torch")
        raise ImportError("RDA needs PyTorch: pip install 'ldlkit[torch]'") from cause

    monkeypatch.setattr(experiments, "compare", missing_extra)
    assert main(["run", "--quiet", *QUICK]) == 2
    assert "pip install 'ldlkit[torch]'" in _one_error_line(capsys.readouterr().err)


def test_traceback_flag_shows_the_traceback_of_a_user_error():
    with pytest.raises(ValueError, match="--folds 0"):
        main(["--traceback", "run", "--quiet", "--folds", "0"])


def test_the_console_script_prints_a_bug_with_its_traceback(tmp_path):
    # A sitecustomize-free way to inject a bug: a method spec whose class raises TypeError
    # inside the CLI is hard to reach, so break compare() in a child process.
    code = (
        "import sys, ldlkit.experiments as ex\n"
        "def broken(*a, **k):\n"
        "    raise TypeError('internal')\n"
        "ex.compare = broken\n"
        "from ldlkit.cli import main\n"
        "sys.exit(main(['run', '--quiet', '--methods', 'MeanPredictor', '--folds', '2']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "TypeError: internal" in result.stderr


# -- 3. a file of one's own wherever a dataset name is accepted ---------------------------------
def _write_mydata(folder: Path) -> Path:
    X, D = make_artificial(60, random_state=1)
    path = folder / "mydata.mat"
    scipy.io.savemat(path, {"features": X, "labels": D})
    return path


def test_datasets_info_accepts_a_path(tmp_path, capsys):
    _write_mydata(tmp_path)
    assert main(["datasets", "info", "mydata.mat"]) == 0
    out = capsys.readouterr().out
    assert "features: 60 rows × 3 columns" in out and "local file: mydata.mat" in out


def test_datasets_info_artificial(capsys):
    assert main(["datasets", "info", "artificial"]) == 0
    assert "features: 500 rows × 3 columns" in capsys.readouterr().out


def test_run_accepts_a_dataset_path(tmp_path, capsys):
    _write_mydata(tmp_path)
    assert main(["run", "--quiet", *QUICK, "--datasets", "mydata.mat", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "mydata" in out and "MeanPredictor" in out


# -- 7. reproduce: plan and estimate first, saved by default, one ± convention -------------------
def test_reproduce_announces_saves_and_resumes(tmp_path, capsys):
    args = ["reproduce", "uaknn-ablation", "--datasets", "artificial", "--folds", "2"]
    assert main(args) == 0
    captured = capsys.readouterr()
    err = captured.err
    assert "ldlkit reproduce uaknn-ablation:" in err
    assert "3 methods × 1 datasets (artificial) × 2 folds" in err
    assert "expected time: about" in err
    # Table 4 is on Human_Gene: said once, before the run and in the output, no empty section.
    assert "uaknn table4 reports Human_Gene" in err
    assert "Paper vs measured" not in captured.out
    assert (
        "No reported values" in captured.out and "uaknn table4 reports Human_Gene" in captured.out
    )
    assert "standard deviation over the test folds" in captured.out
    folder = tmp_path / "ldlkit-results" / "uaknn-ablation"
    assert (folder / RESULTS_FILE).is_file() and (folder / "uaknn-ablation.md").is_file()
    assert f"results: {Path('ldlkit-results') / 'uaknn-ablation'}" in err
    lines = (folder / RESULTS_FILE).read_text().splitlines()
    assert len(lines) == 3 * 2
    assert main(args) == 0
    assert "resumed: 6 of 6 folds" in capsys.readouterr().err
    assert len((folder / RESULTS_FILE).read_text().splitlines()) == 6
    assert main(["report", str(folder)]) == 0  # the saved folder reports like a run's
    assert "| artificial |" in capsys.readouterr().out


def test_reproduce_no_save_writes_nothing(tmp_path, capsys):
    args = ["reproduce", "uaknn-ablation", "--datasets", "artificial", "--folds", "2"]
    assert main([*args, "--no-save", "--quiet"]) == 0
    assert not (tmp_path / "ldlkit-results").exists()
    assert capsys.readouterr().err == ""


def test_the_std_convention_is_in_every_table_footer(capsys):
    assert main(["run", "--quiet", *QUICK]) == 0
    assert "± : standard deviation over the test folds" in capsys.readouterr().out
    assert main(["run", "--quiet", *QUICK, "--format", "latex"]) == 0
    assert "% ± : standard deviation over the test folds" in capsys.readouterr().out


def test_estimate_scales_with_folds_and_jobs():
    from ldlkit.experiments import get_reproduction
    from ldlkit.experiments._reproduce import estimate_seconds

    repro = get_reproduction("uaknn")
    full = estimate_seconds(repro)
    assert full == repro.expected_seconds
    assert estimate_seconds(repro, n_splits=5, n_repeats=1) == pytest.approx(full / 10)
    assert estimate_seconds(repro, n_jobs=2) <= full


def test_estimate_says_what_it_was_measured_on():
    from ldlkit.experiments import get_reproduction, register_reproduction
    from ldlkit.experiments._reproduce import _REPRODUCTIONS, describe_estimate

    # a figure extrapolated from part of a run says so; a whole run's says that
    partial = register_reproduction(
        "demo-partial-estimate", description="d", paper="demo", tables=["t"],
        datasets=["artificial"], methods={"Mean": ("MeanPredictor", {})},
        expected_seconds=100, expected_basis="one measured fold per method", overwrite=True,
    )
    try:
        assert "scaled from one measured fold per method" in describe_estimate(partial)
    finally:
        _REPRODUCTIONS.pop("demo-partial-estimate")
    assert "scaled from a measured full run" in describe_estimate(get_reproduction("uaknn"))


# -- 8. report on nothing useful: an error, not an empty table ----------------------------------
def test_report_on_an_empty_results_file(tmp_path, capsys):
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / RESULTS_FILE).write_text("")
    assert main(["report", "res"]) == 2
    captured = capsys.readouterr()
    assert "holds no results" in _one_error_line(captured.err) and captured.out == ""


def test_report_on_garbage_promises_no_recomputation(tmp_path, capsys):
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / RESULTS_FILE).write_text("garbage\n{not json\n")
    assert main(["report", "res"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "recomputed" not in captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("ldlkit: error:")]
    assert len(errors) == 1 and "holds no results" in errors[0]


def test_report_plot_without_matplotlib_checks_first(tmp_path, capsys, monkeypatch):
    import importlib.util

    assert main(["run", "--quiet", *QUICK, "--out", "res"]) == 0
    capsys.readouterr()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    assert main(["report", "res", "--plot"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "ldlkit[plot]" in _one_error_line(captured.err)
    assert not (tmp_path / "res" / "figures").exists()


# -- 10. help texts -----------------------------------------------------------------------------
def _help(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ldlkit.cli", *command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_texts_explain_every_option():
    main_help = _help()
    assert DATA_ENV in main_help and "--traceback" in main_help
    reproduce = _help("reproduce")
    assert "usage: ldlkit reproduce [-h] [--list]" in reproduce and "[NAME]" in reproduce
    assert "table" not in reproduce.split("positional arguments:")[1].split("\n")[1]
    assert "Run a registered paper reproduction" in reproduce
    run = _help("run")
    assert "5 for kfold, 10 for ildl and le" in run
    assert "A B LOW HIGH" in run and "degree on label LOW is below A/L" in run
    for command in ("run", "reproduce"):
        text = _help(command)
        assert "--data-home DIR" in text
        lines = text.splitlines()
        for option in ("--datasets", "--n-jobs", "--seed", "--format"):
            # every option has a help text, on its own line or after the metavar
            i = next(i for i, ln in enumerate(lines) if ln.strip().startswith(option))
            after = lines[i].strip().split(None, 2)
            assert len(after) == 3 or lines[i + 1].startswith(" " * 10), (command, option)


def test_misspelled_names_get_did_you_mean(capsys):
    assert main(["run", "--quiet", "--methods", "UAKN"]) == 2
    assert "Did you mean 'UAKNN'" in _one_error_line(capsys.readouterr().err)
    assert main(["run", "--quiet", "--methods", "meanpredicter"]) == 2
    assert "Did you mean 'MeanPredictor'" in capsys.readouterr().err
    assert main(["reproduce", "uaknm"]) == 2
    assert "Did you mean 'uaknn'" in capsys.readouterr().err
    assert main(["run", "--quiet", *QUICK, "--metrics", "cosin"]) == 2
    assert "Did you mean 'cosine'" in capsys.readouterr().err
    assert main(["run", "--quiet", *QUICK, "--reference", "MeanPredicto"]) == 2
    assert "Did you mean 'MeanPredictor'" in capsys.readouterr().err


def test_mistakes_found_in_the_trial_fail_before_anything_runs(capsys):
    # An unknown dataset fails before the run summary claims it will run.
    assert main(["run", "--datasets", "SJAFE"]) == 2
    captured = capsys.readouterr()
    assert "Did you mean 'SJAFFE'" in _one_error_line(captured.err).replace("did", "Did")
    # A quick-run override the protocol refuses fails before the plan (and the --dry-run).
    assert main(["reproduce", "uaknn", "--folds", "0", "--dry-run"]) == 2
    assert "--folds 0" in _one_error_line(capsys.readouterr().err)
    # The command line says how to give ILDL parameters, not the library's keyword.
    assert main(["run", "--quiet", "--protocol", "ildl", "--datasets", "artificial"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--ildl-parameters A B LOW HIGH" in line and "parameters=(" not in line


def test_data_home_on_run(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    X, D = make_artificial(40, random_state=0)
    scipy.io.savemat(tmp_path / "data" / "FG-Net.mat", {"features": X, "labels": D})
    args = ["run", "--quiet", *QUICK, "--datasets", "FG-Net", "--format", "csv"]
    assert main([*args, "--data-home", "data"]) == 0
    assert "FG-Net,MeanPredictor" in capsys.readouterr().out
    assert main([*args, "--data-home", "nowhere"]) == 2
    assert "--data-home nowhere: no such folder" in capsys.readouterr().err


# -- 11. the demo says what ran -----------------------------------------------------------------
def test_the_demo_says_what_it_runs(capsys):
    assert main(["run", "--folds", "2"]) == 0
    err = capsys.readouterr().err
    summary = err.split("\n")
    assert summary[0].startswith("ldlkit run: ") and "× 1 dataset × 2 folds × 1 repeat" in err
    assert "artificial (500 rows × 3 features × 3 labels; the embedded toy data of Geng" in err
    assert "the registered fast methods" in err and "MeanPredictor, AAKNN" in err
    assert "compare each method with UAKNN (the default:" in err


def test_a_resumed_run_says_how_many_folds_it_reused(capsys):
    args = ["run", *QUICK, "--out", "res"]
    assert main(args) == 0
    assert "resumed" not in capsys.readouterr().err
    assert main(args) == 0
    assert "resumed: 2 of 2 folds were already in" in capsys.readouterr().err
    assert main([*args, "--folds", "3"]) == 0  # new protocol: nothing to reuse
    assert "resumed" not in capsys.readouterr().err


# -- 12. startup: the parser imports no numerical library ---------------------------------------
def test_the_cli_module_imports_no_numerical_library():
    code = (
        "import sys\n"
        "import ldlkit.cli\n"
        "try:\n"
        "    ldlkit.cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('numpy', 'scipy', 'sklearn', 'torch', 'joblib')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_lazy_package_attributes_still_work():
    import ldlkit

    assert ldlkit.load_dataset is ldlkit.datasets.load_dataset
    assert "MeanPredictor" in dir(ldlkit) and ldlkit.MeanPredictor.__name__ == "MeanPredictor"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ldlkit.nope  # noqa: B018
    assert cli.DATA_ENV == DATA_ENV


# -- 13. licence --------------------------------------------------------------------------------
def test_license_file_and_spdx_metadata():
    import tomllib

    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "ldlkit developers" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    assert project["project"]["license-files"] == ["LICENSE"]
    requires = project["build-system"]["requires"]
    setuptools_floor = next(r for r in requires if r.startswith("setuptools"))
    assert int(setuptools_floor.split(">=")[1].split(".")[0]) >= 77  # SPDX license support
    reproduction = (ROOT / "docs" / "reproduction.md").read_text()
    assert "papers/uaknn.txt" not in reproduction and "../shared" not in reproduction


def test_other_modules_register_commands_through_commands(monkeypatch, capsys):
    def add_hello(sub):
        parser = sub.add_parser("hello", help="say hello")
        parser.set_defaults(handler=lambda args: print("hello") or 0)

    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, add_hello])
    assert main(["hello"]) == 0
    assert capsys.readouterr().out == "hello\n"
