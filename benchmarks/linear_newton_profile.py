"""Where SA-BFGS's and LDL-LRR's Newton fits spend their time, step by step.

For each dataset, method and solver variant, on the first ``--folds`` folds of
``KFold(10, shuffle=True, random_state=0)`` (raw features, one BLAS thread, as in
``benchmarks/baselines_vs_reference.py --alternate``):

* the fit time (median of ``--repeats`` fits, variants alternating) and the test KL;
* the solver's work: Newton iterations, Hessian-vector products (CG steps), objective
  evaluations, held-out evaluations, and the seconds each kind of work takes in one timed fit;
* the trajectory: after every accepted Newton step, the Hessian-vector products and objective
  evaluations so far, the training objective, the held-out KL that early stopping watches, and
  the test KL (measured for this diagnosis only: nothing here feeds a default);
* the share of the work spent after the returned iterate (the early-stopping patience), and, when
  ``--reference`` names a JSON of ``baselines_vs_reference.py --alternate``, the work at the first
  step whose test KL is at or below python-ldl's on that fold (how much sooner a stopping rule
  would have to stop to match the reference's accuracy instead of beating it).

Variants: ``newton`` (the default: trust-region Newton-CG, Euclidean trust region) and
``newton+diag`` (the same with the Hessian's diagonal as preconditioner and trust-region scaling;
not a default, set through the estimator's ``_precondition`` attribute).

``--converged`` adds SA-BFGS fitted to convergence without early stopping (``alpha=1e-4`` on
standardised features, as ``docs/linear.md`` recommends), both variants alternating (run it
after the main profile, whose JSON it adds to): fit time, Newton iterations, the final objective
and the largest difference of the two fits' test predictions (the optimum is unique).

Run (about 2 minutes on a quiet 2-core machine)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 LDLKIT_DATA=/path/to/datasets PYTHONPATH=src \
        python benchmarks/linear_newton_profile.py \
        --reference benchmarks/results/baselines_alternating_quiet.json \
        --out benchmarks/results/linear_newton_profile.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

VARIANTS = {"newton": False, "newton+diag": True}


def _reference_kl(path: str | None) -> dict:
    """``(dataset, method, fold) -> python-ldl's test KL`` from an ``--alternate`` JSON."""
    if not path or not Path(path).exists():
        return {}
    data = json.loads(Path(path).read_text())
    out = {}
    for run in data.get("runs", {}).values():
        for fold, sides in run.get("folds", {}).items():
            kl = (sides.get("reference") or {}).get("kl_divergence")
            if kl is not None:
                out[(run["dataset"], run["method"], int(fold))] = float(kl)
    return out


def profile_fit(cls, X, D, train, test, precondition: bool) -> dict:
    """One instrumented fit: counts, per-kind seconds and the trajectory."""
    from ldlkit.linear import _maxent
    from ldlkit.metrics import kl_divergence

    counts = {"hessp": 0, "fun_grad": 0, "held_out": 0, "diagonal": 0}
    seconds = dict.fromkeys(counts, 0.0)
    trajectory: list[dict] = []
    original = _maxent.minimize_trust_newton
    Xte, Dte = X[test], D[test]

    def timed(kind, fn):
        def wrapper(*args):
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                seconds[kind] += time.perf_counter() - start
                counts[kind] += 1

        return wrapper

    def instrumented(fun_grad, hessp, x0, **kwargs):
        fg = timed("fun_grad", fun_grad)
        hv = timed("hessp", hessp)
        if kwargs.get("precondition") is not None:
            kwargs["precondition"] = timed("diagonal", kwargs["precondition"])
        stop = kwargs.get("callback")
        if stop is not None:
            score = timed("held_out", stop.score)

            def watched(w):
                value = score(w)
                if counts["held_out"] > 1:  # the first call scores the start, before any step
                    P = _maxent.maxent_predict(Xte, w.reshape(X.shape[1], D.shape[1]))
                    trajectory.append(
                        {
                            "hessp": counts["hessp"],
                            "fun_grad": counts["fun_grad"],
                            "objective": float(fun_grad(w)[0]),
                            "held_out_kl": float(value),
                            "test_kl": float(np.mean(kl_divergence(Dte, P))),
                        }
                    )
                return value

            stop.score = watched
        return original(fg, hv, x0, **kwargs)

    model = cls(random_state=0)
    model._precondition = precondition
    _maxent.minimize_trust_newton = instrumented
    try:
        start = time.perf_counter()
        model.fit(X[train], D[train])
        total = time.perf_counter() - start
    finally:
        _maxent.minimize_trust_newton = original
    best = None
    if trajectory:
        best_kl = min(t["held_out_kl"] for t in trajectory)
        best = next(i for i, t in enumerate(trajectory) if t["held_out_kl"] == best_kl)
    return {
        "n_iter": int(model.n_iter_),
        "counts": counts,
        "seconds_instrumented": {"total": total, **seconds},
        "trajectory": trajectory,
        "returned_step": best,
        "hessp_after_returned_step": (
            counts["hessp"] - trajectory[best]["hessp"] if best is not None else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["SJAFFE", "SBU_3DFE", "M2B"])
    parser.add_argument("--methods", nargs="+", default=["SA-BFGS", "LDL-LRR"])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference", help="an --alternate JSON with python-ldl's fold KLs")
    parser.add_argument("--out", default="benchmarks/results/linear_newton_profile.json")
    parser.add_argument("--converged", action="store_true", help="only the converged fits")
    args = parser.parse_args()
    if args.converged:
        converged_fits(args)
        return

    from sklearn.model_selection import KFold

    from ldlkit.datasets import load_dataset
    from ldlkit.linear import LDLLRR, SABFGS
    from ldlkit.metrics import kl_divergence

    classes = {"SA-BFGS": SABFGS, "LDL-LRR": LDLLRR}
    reference = _reference_kl(args.reference)
    runs = []
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        splits = list(KFold(10, shuffle=True, random_state=0).split(X))[: args.folds]
        for method in args.methods:
            cls = classes[method]
            for fold, (train, test) in enumerate(splits):
                record = {"dataset": name, "method": method, "fold": fold}
                record["load_before"] = os.getloadavg()
                times: dict[str, list[float]] = {v: [] for v in VARIANTS}
                kls = {}
                for r in range(args.repeats):
                    order = list(VARIANTS) if r % 2 == 0 else list(VARIANTS)[::-1]
                    for variant in order:
                        model = cls(random_state=0)
                        model._precondition = VARIANTS[variant]
                        start = time.perf_counter()
                        model.fit(X[train], D[train])
                        times[variant].append(time.perf_counter() - start)
                        kls[variant] = float(
                            np.mean(kl_divergence(D[test], model.predict(X[test])))
                        )
                ref_kl = reference.get((name, method, fold))
                record["python_ldl_test_kl"] = ref_kl
                for variant, precondition in VARIANTS.items():
                    detail = profile_fit(cls, X, D, train, test, precondition)
                    detail["fit_s_median"] = float(np.median(times[variant]))
                    detail["fit_s_all"] = times[variant]
                    detail["test_kl"] = kls[variant]
                    if ref_kl is not None:
                        reach = next(
                            (t for t in detail["trajectory"] if t["test_kl"] <= ref_kl), None
                        )
                        detail["work_to_reach_python_ldl_kl"] = reach
                    record[variant] = detail
                record["load_after"] = os.getloadavg()
                runs.append(record)
                line = " | ".join(
                    f"{v} {record[v]['fit_s_median']:.3f}s KL {record[v]['test_kl']:.4f} "
                    f"it {record[v]['n_iter']} Hv {record[v]['counts']['hessp']} "
                    f"(after best {record[v]['hessp_after_returned_step']})"
                    for v in VARIANTS
                )
                print(f"{name:9s} {method:8s} fold {fold} {line} ref KL {ref_kl}", flush=True)
                out = Path(args.out)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(
                    json.dumps(
                        {
                            "command": "python benchmarks/linear_newton_profile.py "
                            + " ".join(os.sys.argv[1:]),
                            "cpu_count": os.cpu_count(),
                            "blas_threads_env": os.environ.get("OMP_NUM_THREADS"),
                            "runs": runs,
                        },
                        indent=1,
                    )
                )


def converged_fits(args) -> None:
    """SA-BFGS without early stopping, plain against preconditioned Newton; into ``--out``."""
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import StandardScaler

    from ldlkit.datasets import load_dataset
    from ldlkit.linear import SABFGS

    out = Path(args.out)
    data = json.loads(out.read_text()) if out.exists() else {}
    rows = []
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        train, test = next(iter(KFold(10, shuffle=True, random_state=0).split(X)))
        scaler = StandardScaler().fit(X[train])
        Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
        record = {"dataset": name, "load_before": os.getloadavg()}
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        fits = {}
        for r in range(args.repeats):
            order = list(VARIANTS) if r % 2 == 0 else list(VARIANTS)[::-1]
            for variant in order:
                model = SABFGS(alpha=1e-4, fit_intercept=True, early_stopping=False)
                model._precondition = VARIANTS[variant]
                start = time.perf_counter()
                model.fit(Xtr, D[train])
                times[variant].append(time.perf_counter() - start)
                fits[variant] = model
        for variant in VARIANTS:
            model = fits[variant]
            record[variant] = {
                "fit_s_median": float(np.median(times[variant])),
                "fit_s_all": times[variant],
                "n_iter": int(model.n_iter_),
                "converged": bool(model.converged_),
                "objective": float(model.loss_),
            }
        P = {v: fits[v].predict(Xte) for v in VARIANTS}
        record["largest_prediction_difference"] = float(
            np.abs(P["newton"] - P["newton+diag"]).max()
        )
        record["load_after"] = os.getloadavg()
        rows.append(record)
        print(
            f"{name:9s} "
            + " | ".join(
                f"{v} {record[v]['fit_s_median']:.3f}s it {record[v]['n_iter']}" for v in VARIANTS
            )
            + f" | diff {record['largest_prediction_difference']:.1e}",
            flush=True,
        )
    data["converged_sabfgs"] = {
        "command": "python benchmarks/linear_newton_profile.py " + " ".join(os.sys.argv[1:]),
        "cpu_count": os.cpu_count(),
        "rows": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
