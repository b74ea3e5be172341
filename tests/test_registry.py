"""The estimator registry finds its modules by walking the package; missing extras don't stop it."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import ldlkit
from ldlkit import base


@pytest.fixture
def fresh_walk(monkeypatch):
    monkeypatch.setattr(base, "_WALKED", False)
    yield
    monkeypatch.undo()
    base._import_estimator_modules()  # leave the registry complete for the other tests


def _failing_import(monkeypatch, module: str, missing: str):
    real = importlib.import_module

    def fake(name, package=None):
        if name == module:
            raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)
        return real(name, package)

    monkeypatch.setattr(base.importlib, "import_module", fake)


def test_a_module_whose_optional_dependency_is_missing_is_skipped(monkeypatch, fresh_walk):
    _failing_import(monkeypatch, "ldlkit.neural", "torch")
    base._import_estimator_modules()
    assert "MeanPredictor" in dict(base.all_estimators())


def test_a_missing_ldlkit_module_is_a_bug_and_raises(monkeypatch, fresh_walk):
    _failing_import(monkeypatch, "ldlkit.neural", "ldlkit.neural._gone")
    with pytest.raises(ModuleNotFoundError, match="_gone"):
        base._import_estimator_modules()
    assert base._WALKED is False  # the next read tries again (and says so again)


def test_the_registry_lists_every_family_without_torch():
    # A base install: torch cannot be imported. The walk still registers every family, whose
    # torch-only estimators import torch when they fit.
    code = (
        "import sys, json\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "import ldlkit\n"
        "names = {c.__module__.split('.')[1] for _, c in ldlkit.all_estimators()}\n"
        "print(json.dumps(sorted(names)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    families = json.loads(result.stdout.strip().splitlines()[-1])
    assert "torch" not in result.stderr
    assert {"dummy", "neighbors", "linear", "enhancement"} <= set(families)


def test_the_walk_is_not_a_hand_list():
    assert not hasattr(base, "_ESTIMATOR_MODULES")


def test_packages_that_declare_no_estimators_are_not_imported():
    code = (
        "import sys, ldlkit\n"
        "ldlkit.all_estimators()\n"
        "print(sorted(m for m in ('ldlkit.experiments', 'ldlkit.papers', 'ldlkit.cli', "
        "'ldlkit.model_selection') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    for package in ("experiments", "papers", "cli", "model_selection"):
        info = next(i for i in pkgutil.iter_modules(ldlkit.__path__) if i.name == package)
        assert base._declares_no_estimators(info)
    neighbors = next(i for i in pkgutil.iter_modules(ldlkit.__path__) if i.name == "neighbors")
    assert not base._declares_no_estimators(neighbors)
