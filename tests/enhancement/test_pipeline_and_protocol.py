"""EnhancedLDL (logical labels -> LDL model, tuned end to end) and the LE protocol end to end."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from ldlkit.datasets import make_artificial
from ldlkit.enhancement import KM, LP, EnhancedLDL, NormalizedLogical, binarize
from ldlkit.metrics import cosine
from ldlkit.neighbors import AAKNN


@pytest.fixture(scope="module")
def data():
    return make_artificial(120, noise=0.05, random_state=0)


def test_grid_search_tunes_both_steps_against_the_true_distributions(data):
    X, D = data
    model = EnhancedLDL(enhancer=LP(), estimator=AAKNN(), target="distribution")
    grid = {"enhancer__alpha": [0.2, 0.8], "estimator__k": [3, 10]}
    search = GridSearchCV(model, grid, cv=KFold(3, shuffle=True, random_state=0)).fit(X, D)
    assert set(search.best_params_) == set(grid)
    best = search.best_estimator_
    assert best.predict(X[:5]).shape == (5, D.shape[1])
    # score is the cosine with the true distributions, higher is better
    assert best.score(X, D) == pytest.approx(cosine(D, best.predict(X)))


def test_fit_with_distributions_never_sees_the_degrees(data):
    X, D = data
    model = EnhancedLDL(enhancer=NormalizedLogical(), estimator=AAKNN(k=1), target="distribution")
    model.fit(X, D)
    logical = binarize(D)
    np.testing.assert_allclose(model.label_distribution_, logical / logical.sum(1, keepdims=True))


def test_logical_target_scores_against_normalised_logical_labels(data):
    X, D = data
    logical = binarize(D)
    model = EnhancedLDL(enhancer=KM(), estimator=AAKNN(k=5)).fit(X, logical)
    reference = logical / logical.sum(1, keepdims=True)
    assert model.score(X, logical) == pytest.approx(cosine(reference, model.predict(X)))
    neg = EnhancedLDL(enhancer=KM(), metric="kl_divergence").fit(X, logical)
    assert neg.score(X, logical) < 0  # distances are negated: higher is better
    with pytest.raises(ValueError, match="binarize"):
        model.fit(X, D)  # distributions given where logical labels are expected


def test_defaults_clone_and_bad_parameters(data):
    X, D = data
    model = EnhancedLDL(target="distribution")
    assert clone(model).get_params()["target"] == "distribution"
    assert model.fit(X, D).predict(X[:2]).shape == (2, D.shape[1])
    with pytest.raises(ValueError, match="target"):
        EnhancedLDL(target="soft").fit(X, D)
    with pytest.raises(ValueError, match="unknown metric|metric"):
        EnhancedLDL(metric="nope", target="distribution").fit(X, D)


def test_le_protocol_runs_enhancers_end_to_end(data):
    from ldlkit.experiments import run_experiment
    from ldlkit.model_selection import EnhancementProtocol

    X, D = data
    results = run_experiment(
        {"LP": LP(), "Logical": NormalizedLogical()},
        [("toy", X, D)],
        cv=EnhancementProtocol(n_splits=3, n_repeats=1),
        metrics=["cosine", "kl_divergence"],
        progress=False,
    )
    records = results.records if hasattr(results, "records") else list(results)
    assert len(records) == 6 and all(r["status"] == "ok" for r in records)
    by_method = {}
    for r in records:
        by_method.setdefault(r["method"], []).append(r["metrics"]["cosine"])
    assert np.mean(by_method["LP"]) > np.mean(by_method["Logical"])


def test_conle_reproduction_is_registered_and_builds():
    from ldlkit.experiments import build_methods, get_reproduction

    repro = get_reproduction("conle")
    assert repro.protocol_kind == "le"
    assert {"ConLE", "ConLE_h", "ConLE_l", "LEVI-MLP", "Logical (normalised)"} <= set(repro.methods)
    built, notes = build_methods(repro)
    assert notes == []  # every enhancer of the table is available
    assert built["ConLE_h"].contrastive is False and built["ConLE_l"].threshold is False
    # LEVI-MLP is LEVI at its defaults (the authors' recovery command), plus the compact set
    from ldlkit.enhancement import LEVI_SETTINGS
    from ldlkit.papers.conle.reproductions import ALL_DATASETS

    assert repro.methods["LEVI-MLP"] == ("LEVI", {})
    assert repro.methods["LEVI-MLP (compact)"] == ("LEVI", LEVI_SETTINGS["compact"])
    # the default is a prefix of Table 3's data sets, in the paper's order
    assert repro.datasets == ALL_DATASETS[: len(repro.datasets)]
