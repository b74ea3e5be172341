"""Shared fixtures: real benchmark data (via LDLKIT_DATA) and small synthetic data."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ldlkit.datasets import DATA_URL_ENV, find_dataset_file, load_dataset, make_artificial

# No test reaches the internet: a registered dataset that is not on disk is "downloaded" from a
# local folder that does not exist (a one-line error); tests that download set their own local
# server. Set here, at import, so that the `ldlkit` subprocesses tests start inherit it.
os.environ[DATA_URL_ENV] = "file:///nonexistent/ldlkit-test-mirror/"


def _require_data() -> bool:
    return os.environ.get("LDLKIT_REQUIRE_DATA", "") not in ("", "0")


@pytest.fixture(scope="session")
def load_real():
    """Return a loader ``load_real(name) -> (X, D)`` for files under ``$LDLKIT_DATA``.

    On a user's machine without the files the test is skipped; in CI (LDLKIT_REQUIRE_DATA=1) a
    missing file is a failure.
    """

    def _load(name: str):
        if find_dataset_file(name) is None:
            message = f"dataset {name} not found; set LDLKIT_DATA to the folder holding {name}.mat"
            if _require_data():
                pytest.fail(message)
            pytest.skip(message)
        return load_dataset(name, return_X_y=True, download=False)

    return _load


@pytest.fixture
def toy():
    """Small artificial LDL data: (X, D) with 3 features and 3 labels."""
    return make_artificial(60, noise=0.05, random_state=0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
