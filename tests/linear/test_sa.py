"""SA-BFGS and SA-IIS: the maximum-entropy model fitted by L-BFGS and by IIS."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ldlkit.datasets import make_artificial
from ldlkit.linear import SABFGS, SAIIS
from ldlkit.metrics import get_scorer, kl_divergence


def kl_ratio_to_training_mean(estimator, X, D):
    """Test KL of the estimator over test KL of the training mean, one fixed 80/20 split."""
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = estimator.fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    return kl_divergence(D_test, predicted) / kl_divergence(D_test, mean)


@pytest.fixture
def well_posed():
    """More rows than features, noisy targets: a finite, unique optimum."""
    X, D = make_artificial(200, noise=0.1, random_state=3)
    return X, D


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_sabfgs_converges_and_iis_reaches_the_same_optimum(well_posed, solver):
    X, D = well_posed
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        bfgs = SABFGS(solver=solver, early_stopping=False, tol=1e-9, max_iter=2000).fit(X, D)
    assert bfgs.converged_ and bfgs.validation_loss_ is None
    iis = SAIIS(tol=1e-7, max_iter=20000).fit(X, D)
    np.testing.assert_allclose(iis.predict(X), bfgs.predict(X), atol=1e-4)


def test_newton_needs_far_fewer_iterations_than_lbfgs():
    # ill-conditioned like the face datasets: many small, L1-normalised features
    rng = np.random.default_rng(2)
    X = rng.exponential(size=(300, 40)) ** 2
    X /= X.sum(axis=1, keepdims=True)
    D = SABFGS(early_stopping=False, max_iter=3).fit(X, rng.dirichlet(np.ones(4), 300)).predict(X)
    D = 0.7 * D + 0.3 * rng.dirichlet(np.ones(4), 300)
    fits = {
        solver: SABFGS(solver=solver, early_stopping=False, tol=1e-7, max_iter=5000).fit(X, D)
        for solver in ("newton", "lbfgs")
    }
    assert fits["newton"].converged_ and fits["lbfgs"].converged_
    np.testing.assert_allclose(fits["newton"].predict(X), fits["lbfgs"].predict(X), atol=1e-4)
    assert fits["newton"].n_iter_ * 3 < fits["lbfgs"].n_iter_


def test_hessian_vector_product_matches_finite_differences():
    from ldlkit.linear._maxent import maxent_kl_hessp, maxent_kl_loss_grad

    rng = np.random.default_rng(5)
    X = rng.normal(size=(7, 3))
    D = rng.dirichlet(np.ones(4), size=7)
    W, V = rng.normal(size=12), rng.normal(size=12)
    l2 = np.array([[0.3], [0.3], [0.0]])
    eps = 1e-6
    numeric = (
        maxent_kl_loss_grad(W + eps * V, X, D, l2)[1]
        - maxent_kl_loss_grad(W - eps * V, X, D, l2)[1]
    ) / (2 * eps)
    np.testing.assert_allclose(maxent_kl_hessp(W, V, X, l2), numeric, rtol=1e-6, atol=1e-9)


def test_hessian_diagonal_matches_the_hessian():
    from ldlkit.linear._maxent import maxent_kl_hessp, maxent_kl_hessp_operator

    rng = np.random.default_rng(6)
    X = rng.normal(size=(9, 3))
    W = rng.normal(size=12)
    l2 = np.array([[0.3], [0.3], [0.0]])
    dense = np.column_stack([maxent_kl_hessp(W, e, X, l2) for e in np.eye(12)])
    diagonal = maxent_kl_hessp_operator(X, l2).diagonal(W)
    np.testing.assert_allclose(diagonal, np.diag(dense), rtol=1e-12, atol=1e-15)


def test_diagonal_preconditioner_reaches_the_same_optimum_with_fewer_products():
    from ldlkit.linear._maxent import maxent_kl_hessp_operator, maxent_kl_loss_grad
    from ldlkit.linear._solvers import minimize_trust_newton

    # features on scales from 1e-3 to 1e1, as raw image features are
    rng = np.random.default_rng(4)
    X = rng.exponential(size=(400, 30)) * np.logspace(-3, 1, 30)
    D = rng.dirichlet(np.ones(4), 400)
    l2 = 1e-3
    hessp = maxent_kl_hessp_operator(X, l2)
    results = {
        name: minimize_trust_newton(
            lambda w: maxent_kl_loss_grad(w, X, D, l2),
            hessp,
            np.zeros(120),
            max_iter=500,
            tol=1e-8,
            owner="test",
            max_cg=200,
            precondition=precondition,
        )
        for name, precondition in (("plain", None), ("diagonal", hessp.diagonal))
    }
    assert results["plain"].converged and results["diagonal"].converged
    np.testing.assert_allclose(results["diagonal"].x, results["plain"].x, atol=1e-5)
    assert results["diagonal"].n_hessp * 2 < results["plain"].n_hessp


def test_newton_is_preconditioned_only_when_asked(well_posed, monkeypatch):
    from ldlkit.linear import _maxent

    seen = []
    original = _maxent.minimize_trust_newton

    def spy(*args, **kwargs):
        seen.append(kwargs.get("precondition") is not None)
        return original(*args, **kwargs)

    monkeypatch.setattr(_maxent, "minimize_trust_newton", spy)
    X, D = well_posed
    SABFGS(early_stopping=False, alpha=1e-3).fit(X, D)
    asked = SABFGS(early_stopping=False, alpha=1e-3)
    asked._precondition = True
    asked.fit(X, D)
    assert seen == [False, True]


def test_early_stopping_keeps_the_best_held_out_iterate(well_posed):
    X, D = well_posed
    est = SABFGS(random_state=0).fit(X, D)
    assert est.converged_ and est.validation_loss_ is not None
    # the held-out rows: the model's KL there is the recorded best, below the uniform start's
    from ldlkit.linear._maxent import kl_divergence_rows, maxent_log_predict

    _, held_out = est._validation_split(len(X))
    kl = kl_divergence_rows(D[held_out], maxent_log_predict(X[held_out], est.coef_)).mean()
    assert kl == pytest.approx(est.validation_loss_)
    uniform = np.full(D.shape[1], 1 / D.shape[1])
    assert kl < kl_divergence(D[held_out], np.tile(uniform, (len(held_out), 1)))
    # seeded: the same held-out rows, the same model; another seed holds out other rows
    np.testing.assert_array_equal(SABFGS(random_state=0).fit(X, D).coef_, est.coef_)
    assert not np.array_equal(SABFGS(random_state=1).fit(X, D).coef_, est.coef_)


def test_early_stopping_is_off_for_a_handful_of_rows():
    X, D = make_artificial(15, noise=0.1, random_state=0)
    est = SABFGS(alpha=1e-2).fit(X, D)
    assert est.validation_loss_ is None and est._validation_split(len(X)) is None


@pytest.mark.parametrize("normalised", [False, True], ids=["newton", "closed-form"])
def test_iis_never_increases_the_loss(well_posed, normalised):
    X, D = well_posed
    if normalised:  # rows with equal L1 norm take the closed-form step
        X = np.abs(X) / np.abs(X).sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = np.array(SAIIS(max_iter=60).fit(X, D).loss_history_)
    assert history[-1] < history[0]
    assert np.all(np.diff(history) <= 1e-12 * history[0])


def test_iis_closed_form_and_newton_steps_agree():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(50, 4))
    X /= X.sum(axis=1, keepdims=True)  # constant g = 1
    D = rng.dirichlet(np.ones(3), size=50)
    P = np.full((50, 3), 1 / 3)
    est = SAIIS(newton_steps=50)
    Xp, Xn = np.maximum(X, 0), np.maximum(-X, 0)
    closed = est._closed_form_step(Xp.T @ P, Xn.T @ P, X.T @ D, 1.0)
    newton = est._newton_step(Xp, Xn, P, np.ones(50), X.T @ D)
    np.testing.assert_allclose(newton, closed, atol=1e-8)


def test_convergence_warning_when_iterations_run_out(well_posed):
    X, D = well_posed
    with pytest.warns(ConvergenceWarning, match="SABFGS: L-BFGS stopped after 2 iterations"):
        est = SABFGS(solver="lbfgs", early_stopping=False, max_iter=2).fit(X, D)
    assert not est.converged_ and est.n_iter_ == 2
    with pytest.warns(ConvergenceWarning, match="SABFGS: Newton-CG stopped after 1 iterations"):
        est = SABFGS(early_stopping=False, max_iter=1).fit(X, D)
    assert not est.converged_ and est.n_iter_ == 1
    with pytest.warns(ConvergenceWarning, match="SAIIS: IIS stopped after 3 iterations"):
        SAIIS(max_iter=3).fit(X, D)


def test_parameters_are_checked_and_tunable(well_posed):
    X, D = well_posed
    with pytest.raises(ValueError, match="alpha"):
        SABFGS(alpha=-1.0).fit(X, D)
    with pytest.raises(ValueError, match="max_iter"):
        SAIIS(max_iter=0).fit(X, D)
    with pytest.raises(ValueError, match="solver"):
        SABFGS(solver="bfgs").fit(X, D)
    with pytest.raises(ValueError, match="validation_fraction"):
        SABFGS(validation_fraction=1.0).fit(X, D)
    search = GridSearchCV(SABFGS(), {"alpha": [1e-4, 1.0]}, cv=2, scoring=get_scorer("kl"))
    search.fit(X, D)
    assert search.best_params_["alpha"] in (1e-4, 1.0)


def test_intercept_is_not_penalised():
    # One label is always dominant: only the intercept can express it once features are centred.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    D = np.tile([0.8, 0.2], (100, 1))
    est = SABFGS(alpha=100.0, fit_intercept=True).fit(X, D)
    np.testing.assert_allclose(est.predict(X[:3]), D[:3], atol=1e-4)
    assert np.abs(est.coef_).max() < 1e-6


def test_pipeline_with_scaler_predicts_simplex_rows(well_posed):
    X, D = well_posed
    model = make_pipeline(StandardScaler(), SABFGS(alpha=1e-3, fit_intercept=True)).fit(X, D)
    P = model.predict(X * 100 + 5)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "estimator", [SABFGS(random_state=0), SAIIS(max_iter=2000)], ids=["SABFGS", "SAIIS"]
)
def test_beats_the_training_mean_on_sjaffe(load_real, estimator):
    X, D = load_real("SJAFFE")
    assert kl_ratio_to_training_mean(estimator, X, D) < 0.8


@pytest.mark.parametrize(
    "estimator", [SABFGS(random_state=0), SAIIS(max_iter=30)], ids=["SABFGS", "SAIIS"]
)
def test_on_yeast_alpha_matches_the_training_mean(load_real, estimator):
    # Finding (docs/linear.md): on Yeast_alpha no linear baseline beats the training mean by
    # more than round-off (the features carry almost no linear signal); this bounds the gap.
    X, D = load_real("Yeast_alpha")
    assert kl_ratio_to_training_mean(estimator, X, D) < 1.01


@pytest.fixture
def overfitting():
    """More features than rows, L1-normalised like SJAFFE: the held-out KL turns up steeply."""
    from ldlkit.linear._maxent import maxent_predict

    rng = np.random.default_rng(0)
    X = rng.random((150, 200))
    X /= X.sum(axis=1, keepdims=True)
    D = maxent_predict(X, 30.0 * rng.standard_normal((200, 4)))
    return X, 0.7 * D + 0.3 * rng.dirichlet(np.ones(4), 150)


@pytest.mark.parametrize("name", ["SABFGS", "LDLLRR"])
def test_a_steep_held_out_rise_ends_the_solve_with_the_same_model(overfitting, name):
    import ldlkit.linear as linear

    X, D = overfitting
    cls = getattr(linear, name)
    default = cls(random_state=0).fit(X, D)
    patience_only = cls(random_state=0, max_validation_rise=None).fit(X, D)
    # the rule only shortens the patience: the returned (best held-out) iterate is the same
    np.testing.assert_array_equal(default.coef_, patience_only.coef_)
    assert default.validation_loss_ == patience_only.validation_loss_
    assert default.converged_ and default.n_iter_ < patience_only.n_iter_


def test_validation_stop_rise_rule():
    from ldlkit.linear._solvers import ValidationStop

    def run(scores, **kwargs):
        values = iter(scores)
        stop = ValidationStop(lambda x: next(values), np.zeros(1), 5, **kwargs)
        for step in range(1, len(scores)):
            try:
                stop(np.array([float(step)]))
            except StopIteration:
                break
        return stop

    scores = [1.0, 0.8, 0.5, 0.55, 0.7, 0.66, 0.64, 0.6, 0.58]
    # 0.7 > 1.25 * 0.5: stopped at the fourth step, the best (0.5, step 2) kept
    stop = run(scores, max_rise=0.25)
    assert stop.stopped and stop.stop_reason == "rise" and stop.n_steps == 4
    assert stop.best_iteration == 2 and stop.best_score == 0.5
    # a rise within the margin does not stop; without the rule the patience decides
    assert run(scores, max_rise=0.5).stop_reason == "patience"
    stop = run(scores)
    assert stop.stop_reason == "patience" and stop.n_steps == 7 and stop.best_iteration == 2
