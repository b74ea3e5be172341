"""Reproductions: registered by the paper folders, discovered; missing estimators skipped.

Adding a paper folder from outside ldlkit is tested in ``tests/papers/test_discovery.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from ldlkit import papers
from ldlkit.base import all_estimators
from ldlkit.cli import main
from ldlkit.experiments import _reproduce, register_reproduction, run_reproduction
from ldlkit.papers import reported_table

SRC = Path(_reproduce.__file__).parents[2]


def test_a_fresh_interpreter_discovers_the_paper_modules():
    code = (
        "from ldlkit.experiments import list_reproductions, get_reproduction;"
        "print(sorted(r.name for r in list_reproductions()));"
        "print(get_reproduction('UAKNN-ABLATION').name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    ).stdout.splitlines()
    assert "'uaknn'" in out[0] and "'uaknn-ablation'" in out[0]
    assert out[1] == "uaknn-ablation"


def test_the_registry_module_registers_no_paper_itself():
    tree = ast.parse(Path(_reproduce.__file__).read_text(encoding="utf-8"))
    calls = [
        node
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", "") == "register_reproduction"
    ]
    assert calls == []
    assert (Path(papers.__file__).parent / "uaknn" / "reproductions.py").is_file()


def test_missing_estimators_are_skipped_with_a_note(load_real, capsys):
    load_real("SJAFFE")
    register_reproduction(
        "test-skip",
        description="one real method, two future ones",
        paper="none",
        tables=[],
        datasets=["SJAFFE"],
        methods={
            "Future": ("NotImplementedYetLDL", {}),
            "Mean": ("MeanPredictor", {}),
            "Later": ("AlsoNotYetLDL", {}),
        },
        metrics=["cosine"],
        reference="Future",
        overwrite=True,
    )
    try:
        assert main(["reproduce", "--list"]) == 0
        assert "; SJAFFE; 1 of 3 methods available;" in capsys.readouterr().out
        report = run_reproduction("test-skip", n_splits=2, n_repeats=1, progress=False)
    finally:
        _reproduce._REPRODUCTIONS.pop("test-skip", None)
    assert report.table.methods == ["Mean"]
    assert (
        "Future (NotImplementedYetLDL), Later (AlsoNotYetLDL) are not available in this "
        "installation; their rows are skipped." in report.notes
    )
    assert any("reference method Future was skipped" in n for n in report.notes)


def test_a_reproduction_with_no_available_method_is_an_error():
    register_reproduction(
        "test-none",
        description="nothing exists",
        paper="none",
        tables=[],
        datasets=["SJAFFE"],
        methods={"Future": ("NotImplementedYetLDL", {}), "Later": ("AlsoNotYetLDL", {})},
        overwrite=True,
    )
    try:
        with pytest.raises(ValueError, match="needs estimators 'NotImplementedYetLDL' .*, "
                           "'AlsoNotYetLDL' .*none of which is available"):  # fmt: skip
            run_reproduction("test-none", progress=False)
    finally:
        _reproduce._REPRODUCTIONS.pop("test-none", None)


def test_uaknn_lists_the_papers_baselines_under_the_reported_names():
    repro = _reproduce.get_reproduction("uaknn")
    expected = {
        "INP": "INP",
        "BFGS-LLD": "SABFGS",
        "LDL-LRR": "LDLLRR",
        "LDL-LCLR": "LDLLCLR",
        "LDLSF": "LDLSF",
        "LALOT": "LALOT",
    }
    assert {d: c for d, (c, _) in repro.methods.items() if d in expected} == expected
    # Every method of Tables 2 and 3 is a row of the reproduction, so reported numbers line up.
    for key in ("table2", "table3"):
        reported_methods = {
            m for per in reported_table("uaknn", key)["results"].values() for m in per
        }
        assert reported_methods <= set(repro.methods)
    # The kNN rows are those the reproduction always had: same names, classes and parameters.
    assert {d: s for d, s in repro.methods.items() if d not in expected} == {
        "AA-kNN": ("AAKNN", {"k": 4}),
        "UAKNN": ("UAKNN", {}),
        "WUAKNN": ("WUAKNN", {}),
        "UAKNN w/o prototype matching": ("UAKNN", {"prototype_matching": False}),
        "UAKNN w/o micro-perturbation": ("UAKNN", {"perturbation": False}),
        "TunedUAKNN": ("TunedUAKNN", {}),
    }


def test_reproduce_uaknn_runs_with_the_baselines_it_has(load_real, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # reproduce saves to ./ldlkit-results by default
    load_real("SJAFFE")
    args = ["reproduce", "uaknn", "--datasets", "SJAFFE", "--folds", "2", "--repeats", "1"]
    assert main([*args, "--quiet"]) == 0
    out = capsys.readouterr().out
    registered = dict(all_estimators())
    for display, class_name in (("LDL-LRR", "LDLLRR"), ("BFGS-LLD", "SABFGS")):
        if class_name in registered:
            assert f"| {display} |" in out
        else:
            assert f"{display} ({class_name})" in out and "not available" in out
    assert "| SJAFFE | AA-kNN |" in out and "Paper vs measured: uaknn table2" in out
