"""The LDL classifiers: LDL4C, LDL-HR and LDLM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from ldlkit.classifiers import LDL4C, LDLHR, LDLM
from ldlkit.classifiers._common import absolute_terms, top_hinge_terms, top_order
from ldlkit.metrics import error_probability, top1_accuracy

CLASSES = [LDL4C, LDLHR, LDLM]


@pytest.fixture
def data(rng):
    X = rng.random((40, 4))
    D = rng.dirichlet(np.ones(5), 40)
    return X, D


@pytest.fixture
def separable(rng):
    """The dominant label is a linear function of the features."""
    X = rng.normal(size=(150, 3))
    logits = 3.0 * X @ rng.normal(size=(3, 4))
    D = np.exp(logits - logits.max(axis=1, keepdims=True))
    return X, D / D.sum(axis=1, keepdims=True)


def test_top_order_breaks_ties_by_the_lower_index():
    D = np.array([[0.2, 0.4, 0.4], [0.5, 0.25, 0.25]])
    np.testing.assert_array_equal(top_order(D), [[1, 2, 0], [0, 1, 2]])


def test_top_hinge_by_hand():
    P = np.array([[0.5, 0.3, 0.2]])
    value, grad = top_hinge_terms(P, np.array([0]), np.array([[1, 2]]), rho=0.5)
    # gaps 0.2 and 0.3: slacks 1 - 0.4 = 0.6 and 1 - 0.6 = 0.4
    assert value == pytest.approx(1.0)
    np.testing.assert_allclose(grad, [[-4.0, 2.0, 2.0]])
    # a margin already met contributes nothing
    value, grad = top_hinge_terms(P, np.array([0]), np.array([[2]]), rho=0.1)
    assert value == 0.0 and not grad.any()


def test_absolute_terms_by_hand():
    value, grad = absolute_terms(
        np.array([[0.5, 0.5]]), np.array([[0.2, 0.8]]), np.array([[2.0, 1.0]])
    )
    assert value == pytest.approx(2 * 0.3 + 0.3)
    np.testing.assert_allclose(grad, [[-2.0, 1.0]])


def test_ldl4c_objective_at_zero_by_hand(data):
    X, D = data
    model = LDL4C(alpha=0.5)
    value, _ = model.objective(X, D)(np.zeros(X.shape[1] * D.shape[1]))
    # uniform predictions: gap 0 so every row's hinge is 1
    entropy = -(D * np.log(D)).sum(axis=1)
    expected = (entropy * np.abs(D - 0.2).mean(axis=1)).sum() + 0.5 * len(D)
    assert value == pytest.approx(expected)


def test_ldl_hr_objective_at_zero_by_hand(data):
    X, D = data
    model = LDLHR(alpha=0.5, beta=2.0)
    value, _ = model.objective(X, D)(np.zeros(X.shape[1] * D.shape[1]))
    m = D.shape[1]
    top = D.argmax(axis=1)
    onehot = np.eye(m)[top]
    rest = (np.abs(D - 1 / m) * (1 - onehot)).sum(axis=1) / (m - 1)
    expected = np.abs(onehot - 1 / m).mean(axis=1).sum() + 0.5 * (m - 1) * len(D) + 2 * rest.sum()
    assert value == pytest.approx(expected)


def test_ldlm_objective_at_zero_by_hand(data):
    X, D = data
    model = LDLM(alpha=0.5, beta=2.0, rho=0.1)
    value, _ = model.objective(X, D)(np.zeros(X.shape[1] * D.shape[1]))
    m = D.shape[1]
    top = D.argmax(axis=1)
    onehot = np.eye(m)[top]
    svr = np.maximum(np.abs(onehot - 1 / m).sum(axis=1) - 0.1, 0)
    sorted_D = -np.sort(-D, axis=1)
    adaptive = sorted_D[:, 1] - sorted_D[:, 2]
    rest = np.maximum((np.abs(D - 1 / m) * (1 - onehot)).sum(axis=1) - adaptive, 0)
    expected = svr.sum() + 0.5 * (m - 1) * len(D) + 2 * rest.sum()
    assert value == pytest.approx(expected)


def test_ldlm_adaptive_margin_with_two_labels():
    D = np.array([[0.7, 0.3], [0.2, 0.8]])
    prepared = LDLM()._prepare(D)
    np.testing.assert_allclose(prepared["adaptive"], [0.3, 0.2])


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(cls, l2, data, rng):
    X, D = data
    params = {"beta": l2} if cls is LDL4C else {"gamma": l2}
    fun_grad = cls(rho=0.5, **params).objective(X, D)
    for _ in range(3):
        theta = rng.normal(size=X.shape[1] * D.shape[1])
        numeric = approx_fprime(theta, lambda t: fun_grad(t)[0], 1e-7)
        np.testing.assert_allclose(fun_grad(theta)[1], numeric, atol=2e-5)


@pytest.mark.parametrize("cls", CLASSES)
def test_fitting_lowers_the_objective_and_more_iterations_lower_it_further(cls, data):
    X, D = data
    zero = cls().objective(X, D)(np.zeros(X.shape[1] * D.shape[1]))[0]
    values = []
    for max_iter in (2, 30):
        model = cls(max_iter=max_iter).fit(X, D)
        values.append(model.objective(X, D)(model.coef_.ravel())[0])
    assert values[0] < zero and values[1] <= values[0]


@pytest.mark.parametrize("cls", CLASSES)
def test_the_dominant_label_is_learned(cls, separable):
    X, D = separable
    model = cls().fit(X[:100], D[:100])
    P = model.predict(X[100:])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict_label(X[100:]), P.argmax(axis=1))
    assert top1_accuracy(D[100:], P) > 0.8
    # far better than always predicting the most frequent training label
    frequent = np.bincount(D[:100].argmax(axis=1), minlength=4).argmax()
    constant = np.eye(4)[np.full(50, frequent)]
    assert error_probability(D[100:], P) < error_probability(D[100:], constant) - 0.2


def test_the_margin_term_widens_the_training_top_two_gap(data):
    # the hinge asks for a gap of rho between the two highest labels of the training rows
    X, D = data
    order = top_order(D)
    rows = np.arange(len(D))

    def mean_gap(model):
        P = model.fit(X, D).predict(X)
        return float((P[rows, order[:, 0]] - P[rows, order[:, 1]]).mean())

    assert mean_gap(LDL4C(alpha=1.0, rho=0.2)) > mean_gap(LDL4C(alpha=0.0))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    "params, name",
    [({"alpha": -1.0}, "alpha"), ({"rho": 0.0}, "rho"), ({"max_iter": 0}, "max_iter")],
)
def test_bad_parameters_are_refused_by_name(cls, params, name, data):
    X, D = data
    with pytest.raises(ValueError, match=name):
        cls(**params).fit(X, D)


@pytest.mark.parametrize("cls", CLASSES)
def test_bad_input_is_refused(cls, data):
    X, D = data
    with pytest.raises(ValueError, match="D"):
        cls().fit(X, D * 2)
    with pytest.raises(ValueError):
        cls().fit(X[:-1], D)


def test_ldlm_gradient_descent_takes_fixed_steps(data):
    X, D = data
    one = LDLM(solver="gd", max_iter=1, learning_rate=0.01).fit(X, D)
    grad = LDLM().objective(X, D)(np.zeros(X.shape[1] * D.shape[1]))[1]
    np.testing.assert_allclose(one.coef_.ravel(), -0.01 * grad)
    model = LDLM(solver="gd", max_iter=200, learning_rate=0.01)
    fun = model.objective(X, D)
    values = [
        fun(LDLM(solver="gd", max_iter=k, learning_rate=0.01).fit(X, D).coef_.ravel())[0]
        for k in (0 + 1, 50, 200)
    ]
    assert values[2] < values[0]
