from __future__ import annotations

import json

import pytest

from ldlkit.base import all_estimators
from ldlkit.cli import main
from ldlkit.experiments import RESULTS_FILE, fast_methods, register_reproduction
from ldlkit.experiments import _reproduce as reproduce_module


@pytest.fixture(autouse=True)
def _in_a_temporary_folder(tmp_path, monkeypatch):
    """`ldlkit reproduce` saves to ./ldlkit-results by default: keep that out of the checkout."""
    monkeypatch.chdir(tmp_path)


def test_run_without_arguments_prints_table(capsys):
    assert main(["run", "--quiet"]) == 0
    out = capsys.readouterr().out
    for name in fast_methods():
        assert f"| {name} |" in out
    assert "| artificial |" in out
    assert "Chebyshev ↓" in out and "±" in out


def test_run_with_two_methods_shows_markers(capsys):
    code = main(
        ["run", "--quiet", "--methods", "MeanPredictor", "MeanPredictor", "--folds", "3",
         "--format", "csv"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("dataset,method,metric,mean")
    assert "MeanPredictor#2" in out


def test_list_methods(capsys):
    assert main(["run", "--list-methods"]) == 0
    out = capsys.readouterr().out
    assert "MeanPredictor" in out and "label enhancers" in out


def test_run_out_then_report(tmp_path, capsys):
    out_dir = tmp_path / "res"
    assert main(["run", "--quiet", "--out", str(out_dir), "--folds", "3"]) == 0
    first = capsys.readouterr().out
    lines = (out_dir / RESULTS_FILE).read_text().splitlines()
    assert len(lines) == 3 * len(fast_methods())
    # A rerun resumes: nothing new is appended.
    assert main(["run", "--quiet", "--out", str(out_dir), "--folds", "3"]) == 0
    assert capsys.readouterr().out == first
    assert len((out_dir / RESULTS_FILE).read_text().splitlines()) == len(lines)
    assert main(["report", str(out_dir)]) == 0
    report = capsys.readouterr().out
    assert report == first.split("\nper-fold results:")[0]
    assert main(["report", str(out_dir), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"] == ["artificial"]


def test_report_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["run", "--quiet", "--out", str(tmp_path), "--folds", "2"]) == 0
    assert main(["report", str(tmp_path), "--plot", "--metrics", "cosine"]) == 0
    assert (tmp_path / "figures" / "cosine.png").is_file()


def test_user_errors_exit_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no results file" in capsys.readouterr().err
    assert main(["run", "--quiet", "--protocol", "ildl"]) == 2
    assert "--protocol ildl needs" in capsys.readouterr().err
    assert main(["run", "--quiet", "--methods", "NoSuchMethod"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ldlkit: error: unknown estimator") and err.count("\n") == 1
    assert main(["run", "--quiet", "--protocol", "ildl", "--datasets", "SJAFFE"]) == 2
    assert "no built-in ILDL parameters" in capsys.readouterr().err


def test_run_le_without_enhancers(capsys):
    if all_estimators("le"):
        pytest.skip("label enhancers are registered")
    assert main(["run", "--quiet", "--protocol", "le"]) == 2
    err = capsys.readouterr().err
    assert "none is registered" in err and err.count("\n") == 1


def test_reproduce_list_and_missing_estimator(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "uaknn:" in out and "uaknn-ablation:" in out and "10x5-fold CV" in out
    assert main(["reproduce", "nope"]) == 2
    assert "unknown reproduction" in capsys.readouterr().err
    register_reproduction(
        "test-missing",
        description="names an estimator that does not exist",
        paper="uaknn",
        tables=["table2"],
        datasets=["SJAFFE"],
        methods={"Future": ("NotImplementedYetLDL", {})},
        overwrite=True,
    )
    try:
        assert main(["reproduce", "test-missing"]) == 2
        err = capsys.readouterr().err
        assert "needs estimator 'NotImplementedYetLDL'" in err and err.count("\n") == 1
    finally:
        reproduce_module._REPRODUCTIONS.pop("test-missing", None)


def test_reproduce_runs_and_reports(load_real, capsys, monkeypatch):
    load_real("SJAFFE")
    register_reproduction(
        "test-mean",
        description="mean predictor",
        paper="nonexistent_paper",
        tables=["table9"],
        datasets=["SJAFFE"],
        methods={"Mean": ("MeanPredictor", {}), "Mean too": ("MeanPredictor", {})},
        metrics=["chebyshev", "cosine"],
        reference="Mean",
        overwrite=True,
    )
    try:
        args = ["reproduce", "test-mean", "--folds", "3", "--repeats", "1", "--quiet"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "### Measured" in out and "| SJAFFE | Mean |" in out
        assert "No reported values" in out and "Quick run" in out
        assert "nonexistent_paper table9 is not stored" in out
        assert "Paper vs measured" not in out  # no empty section per table
        reported = {
            "caption": "t",
            "protocol": "10x5-fold CV",
            "metrics": ["chebyshev", "cosine"],
            "results": {"SJAFFE": {"Mean": {"chebyshev": (0.1234, 0.0056)}}},
        }
        monkeypatch.setattr(reproduce_module, "find_reported_table", lambda p, t: reported)
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "Paper vs measured" in out and "0.1234 ± 0.0056" in out
    finally:
        reproduce_module._REPRODUCTIONS.pop("test-mean", None)


def test_method_parameters_on_the_command_line(capsys):
    from ldlkit.experiments import parse_method_spec

    assert parse_method_spec("AAKNN:k=4,metric=cosine") == ("AAKNN", {"k": 4, "metric": "cosine"})
    with pytest.raises(ValueError, match="--methods"):
        parse_method_spec("AAKNN:4")
    assert main(["run", "--quiet", "--methods", "MeanPredictor:nope=1"]) == 2
    err = capsys.readouterr().err
    assert "cannot build MeanPredictor" in err


def test_report_shows_the_last_run_of_a_reused_folder(tmp_path, capsys):
    assert main(["run", "--quiet", "--out", str(tmp_path), "--folds", "3"]) == 0
    assert main(["run", "--quiet", "--out", str(tmp_path), "--folds", "4"]) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path), "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert {c["n"] for c in table["cells"]} == {4}
    (tmp_path / "run.json").unlink()
    assert main(["report", str(tmp_path)]) == 2
    assert "twice" in capsys.readouterr().err


def test_same_command_after_a_kill_only_computes_missing_folds(tmp_path, capsys):
    command = ["run", "--quiet", "--out", str(tmp_path), "--folds", "4"]
    assert main(command) == 0
    path = tmp_path / RESULTS_FILE
    lines = path.read_text().splitlines()
    # As if killed: the last two folds never got written, the one before is half written.
    path.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][:40])
    capsys.readouterr()
    assert main(command) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "ldlkit: warning:" in line]
    assert len(warned) == 1 and "not a complete JSON record" in warned[0]
    after = path.read_text().splitlines()
    assert len(after) == len(lines)
    assert after[: len(lines) - 3] == lines[:-3]  # finished folds untouched, not recomputed
    new_keys = {json.loads(line)["key"] for line in after[len(lines) - 3 :]}
    assert new_keys == {json.loads(line)["key"] for line in lines[-3:]}


def test_le_protocol_refuses_ldl_methods(capsys):
    assert main(["run", "--quiet", "--protocol", "le", "--methods", "MeanPredictor"]) == 2
    err = capsys.readouterr().err
    assert "--protocol le evaluates label enhancers" in err and "MeanPredictor" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--folds", "0"], "--folds 0"),
        (["--repeats", "0"], "--repeats 0"),
        (["--n-jobs", "0"], "--n-jobs 0"),
        (["--methods", "AAKNN:k"], "cannot read"),
        (["--datasets", "NoSuchData"], "unknown dataset"),
        (["--protocol", "ildl", "--ildl-parameters", "1", "2", "9", "0"], "is not a label of"),
    ],
)
def test_bad_run_arguments_give_one_line(capsys, arguments, message):
    assert main(["run", "--quiet", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ldlkit: error:") and message in err and err.count("\n") == 1


def test_bad_method_parameters_fail_the_command(capsys):
    # The parameter is only checked in fit, so every fold fails: one line, non-zero status.
    assert main(["run", "--quiet", "--methods", "MeanPredictor", "AAKNN:k=abc"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "AAKNN:k=abc failed on every fold of artificial (5)" in captured.err
    assert "'k' parameter of AAKNN must be an int" in captured.err
    assert "| MeanPredictor |" in captured.out  # the methods that ran are still reported
    assert main(["run", "--quiet", "--methods", "AAKNN:k=abc"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1


def test_sigterm_stops_the_run_and_the_rerun_resumes(tmp_path, capsys, monkeypatch):
    import os
    import signal

    from ldlkit.dummy import MeanPredictor

    original = MeanPredictor._fit
    fits = []
    armed = [True]

    def fit_then_terminate(self, X, D):
        fits.append(len(X))
        original(self, X, D)
        if armed[0] and len(fits) == 3:
            armed[0] = False
            os.kill(os.getpid(), signal.SIGTERM)  # what `kill PID` does to the command

    monkeypatch.setattr(MeanPredictor, "_fit", fit_then_terminate)
    command = ["run", "--quiet", "--methods", "MeanPredictor", "--out", str(tmp_path)]
    handler_before = signal.getsignal(signal.SIGTERM)
    assert main(command) == 143
    assert "rerun the same command to resume" in capsys.readouterr().err
    saved = (tmp_path / RESULTS_FILE).read_text().splitlines()
    assert 1 <= len(saved) <= 3
    assert signal.getsignal(signal.SIGTERM) == handler_before  # the handler was put back
    fits.clear()
    assert main(command) == 0
    assert len(fits) == 5 - len(saved)  # only the folds that were not saved
    assert len((tmp_path / RESULTS_FILE).read_text().splitlines()) == 5


def test_report_plot_draws_sample_distributions(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["run", "--quiet", "--out", str(tmp_path), "--folds", "2"]) == 0
    assert main(["report", str(tmp_path), "--plot", "--metrics", "cosine"]) == 0
    figure = tmp_path / "figures" / "distributions_artificial.png"
    assert figure.is_file() and figure.stat().st_size > 1000
    assert str(figure) in capsys.readouterr().out


def test_reproduce_machine_readable_formats(load_real, capsys):
    import csv
    import io

    load_real("SJAFFE")
    register_reproduction(
        "test-formats",
        description="mean predictor",
        paper="uaknn",
        tables=["table2", "table9"],
        datasets=["SJAFFE"],
        methods={"UAKNN": ("MeanPredictor", {}), "Mean": ("MeanPredictor", {})},
        metrics=["chebyshev", "kl_divergence"],
        reference="UAKNN",
        overwrite=True,
    )
    try:
        args = ["reproduce", "test-formats", "--folds", "3", "--repeats", "1", "--quiet"]
        assert main([*args, "--format", "json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["measured"]["methods"] == ["UAKNN", "Mean"]
        assert document["paper_vs_measured"]["table9"] is None
        rows = document["paper_vs_measured"]["table2"]
        kl = next(r for r in rows if (r["method"], r["metric"]) == ("UAKNN", "kl_divergence"))
        assert kl["paper_mean"] == 0.04015
        assert main([*args, "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert {r["table"] for r in rows} == {"table2", "table9"}
        assert len(rows) == 2 * 2 * 2  # tables x methods x metrics: every measured value
        assert main([*args, "--format", "latex"]) == 0
        latex = capsys.readouterr().out
        assert "## " not in latex and "% test-formats: mean predictor" in latex
        assert "0.04015 $\\pm$ 0.0014" in latex  # the paper's digits, not rounded to 4
    finally:
        reproduce_module._REPRODUCTIONS.pop("test-formats", None)


def test_reproduction_with_the_ildl_protocol(load_real, capsys):
    load_real("Movie")
    register_reproduction(
        "test-ildl",
        description="mean predictor under the ILDL protocol",
        paper="none",
        tables=[],
        datasets=["Movie"],
        methods={"Mean": ("MeanPredictor", {})},
        metrics=["cosine", "euclidean_head", "euclidean_tail"],
        n_splits=10,
        n_repeats=1,
        protocol_kind="ildl",
        overwrite=True,
    )
    try:
        assert main(["reproduce", "--list"]) == 0
        assert "test-ildl: " in capsys.readouterr().out
        assert main(["reproduce", "test-ildl", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "imbalanced training folds (ILDL)" in out
        assert "Movie: head [0], tail [1, 2, 3, 4]" in out
    finally:
        reproduce_module._REPRODUCTIONS.pop("test-ildl", None)
    with pytest.raises(ValueError, match="protocol_kind"):
        register_reproduction(
            "test-bad", description="", paper="", tables=[], datasets=["Movie"],
            methods={"Mean": ("MeanPredictor", {})}, protocol_kind="loo",
        )  # fmt: skip


def test_a_registered_estimator_can_join_the_demo(capsys):
    import numpy as np

    from ldlkit import base
    from ldlkit.base import BaseLDL

    class DemoMedian(BaseLDL):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.ldl.fast_demo = True
            return tags

        def _fit(self, X, D):
            self.median_ = np.median(D, axis=0) + 1e-9

        def _predict(self, X):
            return np.tile(self.median_ / self.median_.sum(), (len(X), 1))

    # Classes defined outside ldlkit are not registered automatically; register this one by hand,
    # as ldlkit's own estimators are when their module is imported.
    assert "DemoMedian" not in fast_methods()
    base._REGISTRY["DemoMedian"] = DemoMedian
    try:
        assert fast_methods()[-1] == "DemoMedian"
        assert main(["run", "--quiet", "--folds", "2"]) == 0
        assert "| DemoMedian |" in capsys.readouterr().out
    finally:
        base._REGISTRY.pop("DemoMedian", None)
    assert "DemoMedian" not in fast_methods()


def test_a_class_flag_alone_no_longer_joins_the_demo():
    # Capabilities are tags; the old class attribute is not read any more.
    import numpy as np

    from ldlkit import base
    from ldlkit.base import BaseLDL

    class FlaggedMedian(BaseLDL):
        _fast_demo = True

        def _fit(self, X, D):
            self.median_ = np.median(D, axis=0) + 1e-9

        def _predict(self, X):
            return np.tile(self.median_ / self.median_.sum(), (len(X), 1))

    base._REGISTRY["FlaggedMedian"] = FlaggedMedian
    try:
        assert "FlaggedMedian" not in fast_methods()
    finally:
        base._REGISTRY.pop("FlaggedMedian", None)


def test_enhancers_are_recognised_by_their_base_class(capsys):
    import numpy as np

    from ldlkit import base
    from ldlkit.base import BaseLabelEnhancer

    class SpreadWithPredict(BaseLabelEnhancer):
        """An enhancer that also offers predict (e.g. for new rows): still an enhancer."""

        def _fit_transform(self, X, logical):
            return logical / logical.sum(axis=1, keepdims=True)

        def predict(self, X):
            return np.full((len(X), self.n_labels_), 1.0 / self.n_labels_)

    base._REGISTRY["SpreadWithPredict"] = SpreadWithPredict
    try:
        assert "SpreadWithPredict" in fast_methods("le")
        args = ["run", "--quiet", "--folds", "2", "--methods", "SpreadWithPredict"]
        assert main([*args, "--protocol", "le"]) == 0
        assert "| SpreadWithPredict |" in capsys.readouterr().out
        assert main(args) == 2
        assert "are label enhancers; evaluate them with --protocol le" in capsys.readouterr().err
    finally:
        base._REGISTRY.pop("SpreadWithPredict", None)


def test_a_benign_loky_warning_is_not_shown_but_others_are(monkeypatch, capsys):
    import argparse
    import warnings

    import ldlkit.cli as cli

    def handler(args):
        warnings.warn(
            "A worker stopped while some jobs were given to the executor. This can be caused by "
            "a too short worker timeout or by a memory leak.",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("a warning the user must see", UserWarning, stacklevel=1)
        return 0

    parser = argparse.ArgumentParser()
    parser.add_argument("--traceback", action="store_true")
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # as a plain `ldlkit` process, not pytest's "error"
        assert cli.main([]) == 0
    err = capsys.readouterr().err
    assert "ldlkit: warning: a warning the user must see" in err
    assert "A worker stopped" not in err
