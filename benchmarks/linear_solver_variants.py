"""SA-BFGS's and LDL-LRR's Newton solver: stopping rules and solver variants, side by side.

On the first ``--folds`` folds of ``KFold(10, shuffle=True, random_state=0)`` (raw features, one
BLAS thread, as ``benchmarks/baselines_vs_reference.py --alternate``), every variant is fitted
``--repeats`` times per fold, the variants alternating, and the JSON records per variant and
fold the fit time (median of the repeats), the test KL, the Hessian-vector products, the Newton
iterations and why early stopping ended the solve, beside python-ldl's test KL and fit time on
the same fold (read from ``--reference``, a JSON of ``baselines_vs_reference.py --alternate``).

Variants (``VARIANTS``):

* ``previous``: the stopping rule before ``max_validation_rise`` (patience of 5 steps only);
* ``default``: the current defaults (patience 5, or stop at once when the held-out KL exceeds
  its best by more than 25 %);
* ``rise0.1`` / ``rise0.5``: the same rule with 10 % and 50 %;
* solver variants, each with the previous stopping rule, through a benchmark-only copy of the
  trust-region solver (``_variant_solver`` below; nothing here is a library option):
  ``radius_growth4`` (the trust region grows 4x instead of 2x after a good boundary step),
  ``cauchy_radius`` (first radius: the Cauchy step's length), ``max_cg20`` (at most 20
  conjugate-gradient steps instead of 50), ``eisenstat_walker`` (CG relative tolerance
  ``min(0.5, sqrt(|g| / |g0|))`` instead of 0.1), ``float32_hessp`` (the Hessian-vector product
  in float32), ``feature_precond_1e-2`` / ``_1e-3`` (preconditioned CG with the Kronecker
  approximation ``(X^T X / n + lam I) / n_labels`` of the Hessian, ``lam`` = 1e-2 / 1e-3 of
  the mean diagonal of ``X^T X / n``; trust region in that norm).

``--floor`` adds, per dataset, the unit costs (one Hessian-vector product, one objective and
gradient, one held-out evaluation, the fit's fixed overhead outside the solver, each the median
of many calls) and, with ``--profile`` (``benchmarks/results/linear_newton_profile.json``), the
least work at which ldlkit's path reaches python-ldl's test KL on each profiled fold: the
floor time of a fit that stopped exactly there (an oracle no stopping rule has), against a
tenth of python-ldl's fit time.

Run (about 6 minutes on a 2-core machine at load 2-3)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 LDLKIT_DATA=/path/to/datasets \\
        PYTHONPATH=src python benchmarks/linear_solver_variants.py \\
        --reference benchmarks/results/baselines_alternating_quiet.json \\
        --profile benchmarks/results/linear_newton_profile.json --floor \\
        --out benchmarks/results/linear_solver_variants.json

``oracle_floor`` also holds the floor of a fit that stopped at the iterate the default rule
returns (its Hessian products and evaluations up to that step, from the profile: the least a
held-out rule that returns that iterate can spend). ``--oracle-only`` recomputes it from the
``--out`` file's unit costs without fitting (the command is then not recorded).

``--datasets Movie emotion6 --variants previous default`` checks that the new stopping rule
costs no accuracy on the larger data sets (written under ``runs`` beside the others).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

METHODS = {"SA-BFGS": "SABFGS", "LDL-LRR": "LDLLRR"}
STOPPING = {
    "previous": {"max_validation_rise": None},
    "default": {},
    "rise0.1": {"max_validation_rise": 0.1},
    "rise0.5": {"max_validation_rise": 0.5},
}
SOLVER = {
    "radius_growth4": {"grow": 4.0},
    "cauchy_radius": {"cauchy": True},
    "max_cg20": {"max_cg": 20},
    "eisenstat_walker": {"ew": True},
    "float32_hessp": {"f32": True},
    "feature_precond_1e-2": {"precond": 1e-2},
    "feature_precond_1e-3": {"precond": 1e-3},
}
VARIANTS = list(STOPPING) + list(SOLVER)


class _Instrument:
    """Counts Hessian-vector products, swaps in a solver variant, records the stop reason."""

    def __init__(self):
        from ldlkit.linear import _lrr, _maxent, _sa, _solvers

        self.modules = (_maxent, _sa, _lrr, _solvers)
        self.orig_op = _maxent.maxent_kl_hessp_operator
        self.orig_solver = _maxent.minimize_trust_newton
        self.orig_stop = _maxent.ValidationStop
        self.cfg: dict = {}
        self.hessp = 0
        self.stop = None
        inst = self

        def operator(X, l2=0.0):
            base = inst.orig_op(X, l2)
            inst.X = X
            if inst.cfg.get("f32"):
                base = _float32_hessp(X, l2)

            def hessp(w, v):
                inst.hessp += 1
                return base(w, v)

            hessp.diagonal = getattr(base, "diagonal", None)
            return hessp

        class Stop(self.orig_stop):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                inst.stop = self

        def solver(*args, **kwargs):
            if any(k in inst.cfg for k in ("grow", "cauchy", "max_cg", "ew", "precond")):
                return _variant_solver(inst, *args, **kwargs)
            return inst.orig_solver(*args, **kwargs)

        _sa.maxent_kl_hessp_operator = operator
        _lrr.maxent_kl_hessp_operator = operator
        _maxent.minimize_trust_newton = solver
        _maxent.ValidationStop = Stop


def _float32_hessp(X, l2):
    from ldlkit.linear._maxent import maxent_predict

    X32 = X.astype(np.float32)
    cache: dict = {}

    def hessp(w, v):
        if "w" not in cache or not np.array_equal(cache["w"], w):
            cache["w"] = w.copy()
            cache["P"] = maxent_predict(X, w.reshape(X.shape[1], -1)).astype(np.float32)
        P = cache["P"]
        U = X32 @ v.reshape(X.shape[1], -1).astype(np.float32)
        U -= (P * U).sum(axis=1, keepdims=True)
        U *= P
        out = (X32.T @ U).astype(np.float64) / X.shape[0]
        if np.ndim(l2) or l2:
            out += l2 * v.reshape(out.shape)
        return out.ravel()

    return hessp


def _pcg(hessp, g, radius, residual_tol, max_cg, solve):
    """Steihaug CG preconditioned by ``solve(r) = M^-1 r``; trust region in the M-norm."""
    z, Hz, Mz = np.zeros_like(g), np.zeros_like(g), np.zeros_like(g)
    r = g.copy()
    y = solve(r)
    d, Md = -y, -r.copy()
    ry = float(r @ y)
    used = 0

    def boundary(z, Mz, d, Md):
        a, b = float(d @ Md), 2.0 * float(z @ Md)
        c = float(z @ Mz) - radius * radius
        return (-b + np.sqrt(max(b * b - 4.0 * a * c, 0.0))) / (2.0 * a)

    for _ in range(max_cg):
        Hd = hessp(d)
        used += 1
        curvature = float(d @ Hd)
        if curvature <= 0:
            t = boundary(z, Mz, d, Md)
            return z + t * d, Hz + t * Hd, True, used
        alpha = ry / curvature
        z_next, Mz_next = z + alpha * d, Mz + alpha * Md
        if float(z_next @ Mz_next) >= radius * radius:
            t = boundary(z, Mz, d, Md)
            return z + t * d, Hz + t * Hd, True, used
        z, Mz, Hz = z_next, Mz_next, Hz + alpha * Hd
        r = r + alpha * Hd
        if float(np.linalg.norm(r)) <= residual_tol:
            break
        y = solve(r)
        ry_next = float(r @ y)
        beta = ry_next / ry
        d, Md, ry = -y + beta * d, -r + beta * Md, ry_next
    return z, Hz, False, used


def _variant_solver(inst, fun_grad, hessp, x0, *, max_iter, tol, owner, callback=None, **_):
    """The library's trust-region Newton-CG with one change (``inst.cfg``); benchmark only."""
    import scipy.linalg as sla
    from scipy.optimize import OptimizeResult

    from ldlkit._blas import limit_solver_blas
    from ldlkit.linear._solvers import _steihaug_cg, _stopped_by

    cfg = inst.cfg
    x = np.array(x0, dtype=np.float64, copy=True)
    solve = mnorm = None
    if "precond" in cfg:
        X = inst.X
        n, d = X.shape
        labels = x.size // d
        C = np.asarray(X.T @ X) / n
        C += cfg["precond"] * np.trace(C) / d * np.eye(d)
        factor = sla.cho_factor(C)
        scale = 1.0 / labels

        def solve(r):
            return (sla.cho_solve(factor, r.reshape(d, labels)) / scale).ravel()

        def mnorm(v):
            return float(np.sqrt(v @ (scale * (C @ v.reshape(d, labels))).ravel()))

    norm = mnorm or (lambda v: float(np.linalg.norm(v)))
    radius, status, nit = None, 1, 0
    with limit_solver_blas():
        f, g = fun_grad(x)
        g0 = float(np.linalg.norm(g))
        for nit in range(1, int(max_iter) + 1):
            g_norm = float(np.linalg.norm(g))
            if g_norm <= tol:
                status, nit = 0, nit - 1
                break
            if radius is None:
                if solve is not None:
                    radius = float(np.sqrt(g @ solve(g)))
                elif cfg.get("cauchy"):
                    radius = g_norm**3 / max(float(g @ hessp(x, g)), 1e-300)
                else:
                    radius = 1.0
            eta = min(0.5, np.sqrt(g_norm / g0)) if cfg.get("ew") else 0.1
            max_cg = int(cfg.get("max_cg", 50))
            hv = lambda v, x=x: hessp(x, v)  # noqa: E731
            if solve is not None:
                step, model_step, on_boundary, _ = _pcg(hv, g, radius, eta * g_norm, max_cg, solve)
            else:
                step, model_step, on_boundary, _ = _steihaug_cg(hv, g, radius, eta * g_norm, max_cg)
            predicted = -float(g @ step + 0.5 * (step @ model_step))
            f_new, g_new = fun_grad(x + step)
            ratio = (f - f_new) / predicted if predicted > 0 else -np.inf
            if ratio < 0.25:
                radius = 0.25 * norm(step)
            elif ratio > 0.75 and on_boundary:
                radius = cfg.get("grow", 2.0) * radius
            if ratio > 1e-4:
                x, f, g = x + step, f_new, g_new
                if callback is not None:
                    try:
                        callback(x)
                    except StopIteration:
                        status = 99
                        break
            if radius <= 1e-12 * max(1.0, norm(x)):
                status = 2
                break
    result = OptimizeResult(x=x, fun=float(f), jac=g, nit=nit, status=status)
    result.converged = True
    _stopped_by(callback, result)
    result.converged = True
    return result


def _reference(path: str | None) -> dict:
    if not path or not Path(path).exists():
        return {}
    runs = json.loads(Path(path).read_text())["runs"]
    out = {}
    for key, run in runs.items():
        for fold, record in run.get("folds", {}).items():
            ref = record.get("reference") or {}
            if "kl_divergence" in ref:
                out[(key, int(fold))] = {"kl": ref["kl_divergence"], "fit_s": ref["fit_s"]}
    return out


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _floor(inst, name, X, D, folds, args) -> dict:
    """Unit costs on the first fold's fitting rows (the 90 % early stopping fits on)."""
    from ldlkit.linear import SABFGS
    from ldlkit.linear._maxent import (
        kl_divergence_rows,
        maxent_kl_loss_grad,
        maxent_log_predict,
        maxent_predict,
    )
    from ldlkit.linear._solvers import sparse_design

    train, _ = folds[0]
    est = SABFGS(random_state=0)
    fit_rows, held = est._validation_split(len(train))
    Xd = sparse_design(X[train])
    Xf, Df, Xh, Dh = Xd[fit_rows], D[train][fit_rows], Xd[held], D[train][held]
    rng = np.random.default_rng(0)
    W = 0.01 * rng.standard_normal((X.shape[1], D.shape[1]))
    V = rng.standard_normal(W.size)
    op = inst.orig_op(Xf)
    op(W.ravel(), V)  # caches P at W
    reps = 200 if X.shape[0] < 3000 else 50
    t_hv = _median_time(lambda: op(W.ravel(), V), reps)
    t_fg = _median_time(lambda: maxent_kl_loss_grad(W.ravel(), Xf, Df), reps)
    t_held = _median_time(lambda: kl_divergence_rows(Dh, maxent_log_predict(Xh, W)).mean(), reps)
    t_predict = _median_time(lambda: maxent_predict(Xf, W), reps)
    # the fit's cost outside the solver: validation, split, design copies, one objective
    inst.cfg = {"stub": True}
    from ldlkit.linear import _maxent

    saved = _maxent.minimize_trust_newton

    def stub(fun_grad, hessp, x0, callback=None, **_):
        from scipy.optimize import OptimizeResult

        r = OptimizeResult(x=x0, fun=0.0, jac=x0, nit=0, status=0)
        r.converged = True
        return r

    _maxent.minimize_trust_newton = stub
    t_overhead = _median_time(lambda: SABFGS(random_state=0).fit(X[train], D[train]), 20)
    _maxent.minimize_trust_newton = saved
    inst.cfg = {}
    return {
        "dataset": name,
        "fit_rows": int(Xf.shape[0]),
        "features": int(X.shape[1]),
        "labels": int(D.shape[1]),
        "hessp_s": t_hv,
        "fun_grad_s": t_fg,
        "held_out_s": t_held,
        "softmax_s": t_predict,
        "fit_overhead_s": t_overhead,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["SJAFFE", "SBU_3DFE", "M2B"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--variants", nargs="+", default=VARIANTS)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference")
    parser.add_argument("--profile")
    parser.add_argument("--floor", action="store_true")
    parser.add_argument(
        "--oracle-only", action="store_true", help="recompute oracle_floor from the --out file"
    )
    parser.add_argument("--out", default="benchmarks/results/linear_solver_variants.json")
    args = parser.parse_args()

    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold

    import ldlkit.linear as linear
    from ldlkit.datasets import load_dataset
    from ldlkit.metrics import kl_divergence

    warnings.simplefilter("ignore", ConvergenceWarning)
    inst = _Instrument()
    reference = _reference(args.reference)
    out = Path(args.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    command = "python benchmarks/linear_solver_variants.py " + " ".join(sys.argv[1:])
    if not args.oracle_only:
        data.setdefault("commands", []).append(command)
    data.update(
        {}
        if args.oracle_only
        else {
            "command": command,
            "cpu_count": os.cpu_count(),
            "blas_threads_env": os.environ.get("OPENBLAS_NUM_THREADS"),
        }
    )
    runs = data.setdefault("runs", {})
    floors = data.setdefault("floor", {})
    for name in [] if args.oracle_only else args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        folds = list(KFold(10, shuffle=True, random_state=0).split(X))[: args.folds]
        if args.floor:
            floors[name] = _floor(inst, name, X, D, folds, args)
            floors[name]["load"] = os.getloadavg()
        for method in args.methods:
            cls = getattr(linear, METHODS[method])
            key = f"{name}/{method}"
            run = runs.setdefault(key, {"dataset": name, "method": method, "folds": {}})
            for k, (train, test) in enumerate(folds):
                record = {"load_before": os.getloadavg(), "variants": {}}
                ref = reference.get((key, k))
                if ref:
                    record["python_ldl"] = ref
                times: dict = {v: [] for v in args.variants}
                for _ in range(args.repeats):
                    for variant in args.variants:  # alternating
                        params = dict(STOPPING.get(variant, {"max_validation_rise": None}))
                        inst.cfg = dict(SOLVER.get(variant, {}))
                        inst.hessp, inst.stop = 0, None
                        est = cls(random_state=0, **params)
                        start = time.perf_counter()
                        est.fit(X[train], D[train])
                        times[variant].append(time.perf_counter() - start)
                        stop = inst.stop
                        record["variants"][variant] = {
                            "test_kl": float(kl_divergence(D[test], est.predict(X[test]))),
                            "hessp": inst.hessp,
                            "n_iter": int(est.n_iter_),
                            "returned_step": None if stop is None else stop.best_iteration,
                            "stop_reason": None if stop is None else stop.stop_reason,
                        }
                for variant in args.variants:
                    record["variants"][variant]["fit_s"] = float(np.median(times[variant]))
                    record["variants"][variant]["fit_s_all"] = times[variant]
                record["load_after"] = os.getloadavg()
                run["folds"][str(k)] = record
            run["summary"] = _summary(run)
            out.write_text(json.dumps(data, indent=1))
            _print(key, run["summary"])
    if args.profile and Path(args.profile).exists():
        profile = json.loads(Path(args.profile).read_text())
        data["oracle_floor"] = _oracle(profile, floors, reference)
        for row in data["oracle_floor"]:
            print(row)
    out.write_text(json.dumps(data, indent=1))


def _summary(run) -> dict:
    folds = list(run["folds"].values())
    summary = {}
    refs = [f["python_ldl"] for f in folds if "python_ldl" in f]
    for variant in folds[0]["variants"]:
        rows = [f["variants"][variant] for f in folds if variant in f["variants"]]
        entry = {
            "folds": len(rows),
            "test_kl_mean": float(np.mean([r["test_kl"] for r in rows])),
            "fit_s_median": float(np.median([r["fit_s"] for r in rows])),
            "hessp_mean": float(np.mean([r["hessp"] for r in rows])),
            "n_iter_mean": float(np.mean([r["n_iter"] for r in rows])),
            "stop_reasons": [r["stop_reason"] for r in rows],
        }
        if len(refs) == len(rows):
            ratios = [f["python_ldl"]["fit_s"] / f["variants"][variant]["fit_s"] for f in folds]
            entry["python_ldl_fit_s_over_fit_s_median"] = float(np.median(ratios))
            entry["folds_with_kl_at_most_python_ldl"] = int(
                sum(f["variants"][variant]["test_kl"] <= f["python_ldl"]["kl"] for f in folds)
            )
        summary[variant] = entry
    if refs:
        summary["python_ldl"] = {
            "test_kl_mean": float(np.mean([r["kl"] for r in refs])),
            "fit_s_median": float(np.median([r["fit_s"] for r in refs])),
        }
    return summary


def _print(key, summary) -> None:
    for variant, entry in summary.items():
        print(
            f"{key:20s} {variant:22s} KL {entry['test_kl_mean']:.4f} "
            f"fit {entry['fit_s_median']:.4f} s "
            + (
                f"Hv {entry['hessp_mean']:6.0f} it {entry['n_iter_mean']:5.1f} "
                f"ref/fit {entry.get('python_ldl_fit_s_over_fit_s_median', float('nan')):.1f}x"
                if "hessp_mean" in entry
                else ""
            )
        )


def _oracle(profile: dict, floors: dict, reference: dict) -> list:
    """Floor time of a fit that stopped at the first step reaching python-ldl's test KL."""
    rows = []
    for run in profile.get("runs", []):
        name = run["dataset"]
        work = (run.get("newton") or {}).get("work_to_reach_python_ldl_kl")
        unit = floors.get(name)
        if not work or not unit:
            continue
        evals = int(work["fun_grad"])
        ref = reference.get((f"{name}/{run['method']}", run["fold"])) or {}
        floor_s = (
            unit["fit_overhead_s"]
            + work["hessp"] * unit["hessp_s"]
            + evals * (unit["fun_grad_s"] + unit["held_out_s"])
        )
        newton = run["newton"]
        step = int(newton["returned_step"])
        at = newton["trajectory"][step - 1] if step else {"hessp": 0, "fun_grad": 1}
        returned_s = (
            unit["fit_overhead_s"]
            + at["hessp"] * unit["hessp_s"]
            + at["fun_grad"] * (unit["fun_grad_s"] + unit["held_out_s"])
        )
        rows.append(
            {
                "dataset": name,
                "method": run["method"],
                "fold": run["fold"],
                "python_ldl_test_kl": run.get("python_ldl_test_kl"),
                "hessp_to_reach": int(work["hessp"]),
                "fun_grad_to_reach": evals,
                "floor_s": float(floor_s),
                "python_ldl_fit_s": ref.get("fit_s"),
                "hessp_to_returned_iterate": int(at["hessp"]),
                "fun_grad_to_returned_iterate": int(at["fun_grad"]),
                "returned_iterate_floor_s": float(returned_s),
                "returned_iterate_test_kl": newton.get("test_kl"),
                "note": "SA-BFGS unit costs for both methods (LDL-LRR's objective costs more)",
            }
        )
    return rows


if __name__ == "__main__":
    main()
