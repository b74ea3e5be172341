"""The spec layer: method specs, names resolved to estimators, enhancers told apart by tags."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sklearn.preprocessing import StandardScaler

from ldlkit._spec import is_label_enhancer, parse_method_spec, resolve_methods
from ldlkit.base import BaseLabelEnhancer, all_estimators
from ldlkit.dummy import MeanPredictor


def test_parse_method_spec_reads_literals_and_keeps_other_text():
    assert parse_method_spec("Name") == ("Name", {})
    assert parse_method_spec(" Name:k=4, flag=True,s=abc ") == (
        "Name",
        {"k": 4, "flag": True, "s": "abc"},
    )
    with pytest.raises(ValueError, match="no estimator name"):
        parse_method_spec(":k=4")
    with pytest.raises(ValueError, match="Name:param=value"):
        parse_method_spec("Name:4")


def test_enhancers_are_recognised_by_their_tags():
    assert not is_label_enhancer(MeanPredictor())
    assert not is_label_enhancer(MeanPredictor)
    assert not is_label_enhancer(StandardScaler())  # has fit_transform, is no enhancer
    assert not is_label_enhancer(object())
    for name, cls in all_estimators("le"):
        assert is_label_enhancer(cls), name
        assert issubclass(cls, BaseLabelEnhancer)


def test_resolve_methods_builds_names_pairs_and_estimators():
    resolved = resolve_methods(["MeanPredictor", ("MeanPredictor", {}), MeanPredictor()])
    assert list(resolved) == ["MeanPredictor", "MeanPredictor#2", "MeanPredictor#3"]
    with pytest.raises(ValueError, match="cannot build MeanPredictor"):
        resolve_methods([("MeanPredictor", {"nope": 1})])
    with pytest.raises(ValueError, match="unknown estimator"):
        resolve_methods(["NoSuchMethod"])


def test_the_cli_and_deploy_do_not_import_the_experiments_package():
    code = "import sys, ldlkit.deploy, ldlkit.cli; print('ldlkit.experiments' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_spec_layer_does_not_import_the_experiments_package():
    code = (
        "import sys; from ldlkit._spec import resolve_methods; resolve_methods(['MeanPredictor']);"
        "print(sorted(m for m in sys.modules if m.startswith('ldlkit.experiments')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
