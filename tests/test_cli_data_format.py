"""One file format everywhere, and command-line errors that name the option that fixes them."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.io

from ldlkit.cli import main
from ldlkit.datasets import DATA_ENV, DatasetFormatError, load_dataset, load_features
from ldlkit.deploy._persistence import load_model
from ldlkit.experiments import RepeatedKFold, run_experiment
from ldlkit.neighbors import AAKNN

N_LABELS = 6


@pytest.fixture
def files(tmp_path, load_real):
    """The same 60 SJAFFE rows as .mat, .npz (two spellings) and CSV (with and without header)."""
    X, D = load_real("SJAFFE")
    X, D = X[:60], D[:60]
    names = [f"f{j}" for j in range(X.shape[1])] + [f"label_{c}" for c in "abcdef"]
    header = ",".join(names)
    paths = {
        "mat": tmp_path / "rows.mat",
        "npz": tmp_path / "rows.npz",
        "npz_XD": tmp_path / "rowsxd.npz",
        "csv_header": tmp_path / "rowsh.csv",
        "csv_bare": tmp_path / "rowsb.csv",
    }
    scipy.io.savemat(paths["mat"], {"features": X, "labels": D})
    np.savez(paths["npz"], features=X, labels=D, label_names=np.array(list("abcdef")))
    np.savez(paths["npz_XD"], X=X, D=D)
    np.savetxt(paths["csv_header"], np.hstack([X, D]), delimiter=",", header=header,
               comments="", fmt="%.17g")  # fmt: skip
    np.savetxt(paths["csv_bare"], np.hstack([X, D]), delimiter=",", fmt="%.17g")
    return tmp_path, X, D, paths


def _labels_option(kind: str) -> list[str]:
    return ["--labels", str(N_LABELS)] if kind == "csv_bare" else []


@pytest.mark.parametrize("kind", ["mat", "npz", "npz_XD", "csv_header", "csv_bare"])
def test_the_same_files_work_with_run_fit_predict_and_load_dataset(files, kind, capsys):
    tmp, X, D, paths = files
    path = paths[kind]
    # load_dataset: the one loader
    bunch = load_dataset(path, n_labels=N_LABELS if kind == "csv_bare" else None)
    np.testing.assert_allclose(bunch.features, X)
    np.testing.assert_allclose(bunch.labels, D)
    assert bunch.data is bunch.features and bunch.target is bunch.labels
    expected_names = list("abcdef") if kind in ("npz", "csv_header") else None
    assert bunch.label_names == expected_names and bunch.target_names == expected_names
    # run
    argv = ["run", "--datasets", str(path), "--methods", "AAKNN", "--folds", "2", "--repeats",
            "1", "--quiet", "--format", "csv", *_labels_option(kind)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    table = capsys.readouterr().out
    assert f"{path.stem},AAKNN" in table.replace('"', "")
    # fit
    model = tmp / f"{kind}.ldlkit"
    argv = ["fit", "--data", str(path), "--method", "AAKNN", "--out", str(model),
            *_labels_option(kind)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    # predict, on the same file (its labels are dropped)
    out = tmp / f"{kind}.npy"
    argv = ["predict", str(model), "--data", str(path), "--out", str(out), *_labels_option(kind)]
    assert main(argv) == 0, capsys.readouterr().err
    np.testing.assert_allclose(np.load(out), AAKNN().fit(X, D).predict(X), atol=1e-12)
    assert load_model(model).n_features_in_ == X.shape[1]


def test_label_names_from_a_mat_cell_array(tmp_path):
    X, D = np.random.default_rng(0).random((5, 3)), np.full((5, 2), 0.5)
    path = tmp_path / "named.mat"
    names = np.empty(2, dtype=object)
    names[:] = ["calm", "tense"]
    scipy.io.savemat(path, {"features": X, "labels": D, "label_names": names})
    assert load_dataset(path).label_names == ["calm", "tense"]
    with pytest.warns(UserWarning, match="names 3 labels but holds 2"):
        np.savez(tmp_path / "bad.npz", features=X, labels=D, label_names=np.array(list("abc")))
        assert load_dataset(tmp_path / "bad.npz").label_names is None


def test_load_features_reads_the_same_files_and_npy(files):
    tmp, X, D, paths = files
    for kind, path in paths.items():
        got = load_features(path, n_labels=N_LABELS if kind == "csv_bare" else None)
        np.testing.assert_allclose(got, X)
    np.save(tmp / "rows.npy", X)
    np.testing.assert_allclose(load_features(tmp / "rows.npy"), X)


# -- the messages the issue quotes, each replaced by one that names an existing option ---------
@pytest.fixture
def awkward(files):
    """Files that need an option: rows not summing to 1, no header, 0/1 logical labels."""
    tmp, X, D, paths = files
    header = ",".join([f"f{j}" for j in range(X.shape[1])] + [f"label_{c}" for c in "abcdef"])
    off = tmp / "off.csv"
    np.savetxt(off, np.hstack([X, D * 0.9]), delimiter=",", header=header, comments="")
    logical = tmp / "logical.csv"
    L = (D > 1 / N_LABELS).astype(float)
    np.savetxt(logical, np.hstack([X, L]), delimiter=",", header=header, comments="")
    return {"off": off, "bare": paths["csv_bare"], "logical": logical, "tmp": tmp}


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ldlkit: error: "), captured.err
    assert "ldlkit run:" not in captured.err  # refused before the run summary
    return lines[0]


RUN = ["run", "--methods", "AAKNN", "--folds", "2", "--repeats", "1", "--quiet"]


@pytest.mark.parametrize("command", ["run", "fit", "reproduce"])
def test_rows_not_summing_to_one_name_renormalize(awkward, command, capsys):
    path = str(awkward["off"])
    argv = {
        "run": [*RUN, "--datasets", path],
        "fit": ["fit", "--data", path, "--method", "AAKNN", "--out", str(awkward["tmp"] / "m")],
        "reproduce": ["reproduce", "uaknn", "--datasets", path, "--dry-run"],
    }[command]
    line = _error(argv, capsys)
    assert "sums to 0.9" in line and "Pass --renormalize to divide each row by its sum" in line
    assert "renormalize=True" not in line
    assert main([*argv, "--renormalize"]) == 0


@pytest.mark.parametrize("command", ["run", "fit", "datasets"])
def test_a_csv_without_header_names_labels(awkward, command, capsys):
    path = str(awkward["bare"])
    argv = {
        "run": [*RUN, "--datasets", path],
        "fit": ["fit", "--data", path, "--method", "AAKNN", "--out", str(awkward["tmp"] / "m")],
        "datasets": ["datasets", "info", path],
    }[command]
    line = _error(argv, capsys)
    assert "no header row" in line and "give --labels N, the number of label columns" in line
    assert "n_labels" not in line
    assert main([*argv, "--labels", str(N_LABELS)]) == 0


def test_predict_on_a_training_csv_names_labels(awkward, capsys):
    model = str(awkward["tmp"] / "m.ldlkit")
    assert main(["fit", "--data", str(awkward["bare"]), "--labels", "6", "--method", "AAKNN",
                 "--out", model]) == 0  # fmt: skip
    capsys.readouterr()
    out = str(awkward["tmp"] / "p.csv")
    line = _error(["predict", model, "--data", str(awkward["bare"]), "--out", out], capsys)
    assert "if its last 6 columns are label degrees, drop them with --labels 6" in line


def test_fit_reads_mat_and_npz_with_features_and_labels(files, capsys):
    tmp, X, D, paths = files
    for kind in ("mat", "npz"):
        assert main(["fit", "--data", str(paths[kind]), "--method", "AAKNN",
                     "--out", str(tmp / "m.ldlkit")]) == 0  # fmt: skip
    out = capsys.readouterr()
    assert "must hold arrays X and D" not in out.err and "use .csv, .npy or .npz" not in out.err


@pytest.mark.parametrize("command", ["run", "fit"])
def test_logical_labels_name_an_enhancer_spec_that_exists(awkward, command, capsys):
    path = str(awkward["logical"])
    model = str(awkward["tmp"] / "e.ldlkit")
    argv = {
        "run": [*RUN, "--datasets", path],
        "fit": ["fit", "--data", path, "--method", "AAKNN", "--out", model],
    }[command]
    line = _error(argv, capsys)
    assert "0/1 logical labels" in line
    assert "`ldlkit fit --data FILE --enhancer GLLE --method AAKNN`" in line
    # the remedy works as written
    assert main(["fit", "--data", path, "--enhancer", "GLLE", "--method", "AAKNN",
                 "--out", model]) == 0  # fmt: skip
    assert "saved EnhancedLDL" in capsys.readouterr().out
    out = str(awkward["tmp"] / "p.npy")
    assert main(["predict", model, "--data", path, "--out", out]) == 0
    assert np.allclose(np.load(out).sum(axis=1), 1.0)


def test_a_label_enhancer_as_method_names_enhancer(awkward, capsys):
    argv = ["fit", "--data", str(awkward["logical"]), "--method", "GLLE", "--out",
            str(awkward["tmp"] / "m")]  # fmt: skip
    assert "give it as --enhancer GLLE with an LDL learner as --method" in _error(argv, capsys)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "run"])
def test_reproduce_ildl_on_sjaffe_names_ildl_parameters_before_the_plan(
    dry_run, capsys, load_real, tmp_path
):
    # Without torch the reproduction's network methods are refused first (naming the extra).
    pytest.importorskip("torch", reason="the ildl reproduction's methods need ldlkit[torch]")
    load_real("SJAFFE")
    argv = ["reproduce", "ildl", "--datasets", "SJAFFE", "--folds", "2", "--no-save"]
    line = _error([*argv, "--dry-run"] if dry_run else argv, capsys)
    assert "'SJAFFE' has no built-in ILDL parameters" in line
    assert "give the rule with --ildl-parameters A B LOW HIGH" in line
    assert "ImbalancedSplit" not in line
    if dry_run:  # the remedy is accepted, and wrong label indices are refused before the plan
        assert main([*argv, "--dry-run", "--ildl-parameters", "1", "2", "2", "0"]) == 0
        assert "SJAFFE" in capsys.readouterr().out
        line = _error([*argv, "--dry-run", "--ildl-parameters", "1", "2", "6", "0"], capsys)
        assert "LOW=6 is not a label of SJAFFE, which has 6 labels" in line


def test_dry_run_says_which_files_the_run_downloads(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["reproduce", "uaknn", "--datasets", "Human_Gene", "--dry-run"]) == 0
    assert "Human_Gene: not on disk; the run downloads and verifies it from" in (
        capsys.readouterr().out
    )


def test_metric_aliases_are_the_python_ones(capsys):
    assert main(["run", "--methods", "MeanPredictor", "--metrics", "kl", "cosine", "--folds",
                 "2", "--quiet", "--format", "csv"]) == 0  # fmt: skip
    cli = capsys.readouterr().out
    from ldlkit.datasets import make_artificial

    X, D = make_artificial(500, random_state=0)
    python = run_experiment(["MeanPredictor"], [("artificial", X, D)], metrics=["kl", "cosine"],
                            cv=RepeatedKFold(2, 1, random_state=0), progress=False)  # fmt: skip
    assert {r["status"] for r in python.records} == {"ok"}
    assert "kl" in cli and "cosine" in cli
    line = _error(["run", "--metrics", "kll", "--quiet"], capsys)
    assert "Did you mean 'kl'" in line and "aliases: kl=kl_divergence" in line


def test_a_torch_method_without_torch_is_refused_before_any_fold(tmp_path):
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ldlkit.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["run", "--methods", "AAKNN", "MLPLDL", "--folds", "2", "--out", str(tmp_path / "o")]
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no run summary, no progress bar, no fold
    assert lines[0].startswith("ldlkit: error: MLPLDL needs PyTorch, which is not installed: ")
    assert "`pip install 'ldlkit[torch]'`" in lines[0] and "out of --methods" in lines[0]
    assert not (tmp_path / "o" / "results.jsonl").exists()


def test_format_errors_carry_both_remedies(awkward):
    with pytest.raises(DatasetFormatError, match="Pass renormalize=True") as info:
        load_dataset(awkward["off"])
    assert info.value.option == "renormalize"
    assert "--renormalize" in info.value.command_line_message()
    with pytest.raises(DatasetFormatError, match="give n_labels"):
        load_dataset(awkward["bare"])
    bunch = load_dataset(awkward["logical"], logical=True)
    assert set(np.unique(bunch.labels)) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--folds", "1"], "--folds 1: give at least 2 folds."),
        (["run", "--repeats", "0"], "--repeats 0: give at least 1 repeat."),
        (["run", "--n-jobs", "0"], "--n-jobs 0: give a positive number"),
        (["reproduce", "uaknn", "--folds", "1", "--dry-run"], "--folds 1: give at least 2"),
        (["reproduce", "uaknn", "--ildl-parameters", "1", "2", "2", "0", "--dry-run"],
         "--ildl-parameters applies to the ILDL protocol"),
    ],
)  # fmt: skip
def test_counts_are_refused_in_the_options_names(argv, message, capsys):
    assert message in _error([*argv, "--quiet"] if argv[0] == "run" else argv, capsys)
