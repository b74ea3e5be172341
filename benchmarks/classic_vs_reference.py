"""The classic and incomplete-LDL methods beside the ``python-ldl`` package, on the same folds.

A sibling of ``baselines_vs_reference.py``, reusing its machinery (folds, scoring, the reference
worker protocol, budgets, paired tests, merging and the table): ``KFold(10, shuffle=True,
random_state=0)``, raw features, each package's default parameters on both sides. For the
incomplete-LDL methods (``IncomLDL``) each training fold first loses 40 % of its degrees with
:func:`ldlkit.simulation.random_missing` (seed = fold index); both packages get the same known
degrees and mask, and are scored on the complete test fold.

Run with one BLAS/OpenMP thread on both sides (the reference's keras/torch too)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 LDLKIT_DATA=/path/to/datasets \\
        PYTHONPATH=src python benchmarks/classic_vs_reference.py --folds 3 --budget 120

``--render FILE...`` prints the markdown table of one or more result files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines_vs_reference as base  # noqa: E402  (the shared machinery)

DATASETS = ["SJAFFE", "Yeast_heat", "M2B", "SBU_3DFE"]
# method -> (ldlkit module, class, python-ldl class, whether the training fold is incomplete);
# VARIANTS: ldlkit with other parameters, compared with the reference run of the base method
METHODS = {
    "PT-Bayes": ("ldlkit.classic", "PTBayes", "PT_Bayes", False),
    "PT-SVM": ("ldlkit.classic", "PTSVM", "PT_SVM", False),
    "AA-BP": ("ldlkit.classic", "AABP", "AA_BP", False),
    "CPNN": ("ldlkit.classic", "CPNN", "CPNN", False),
    "BCPNN": ("ldlkit.classic", "BCPNN", "BCPNN", False),
    "ACPNN": ("ldlkit.classic", "ACPNN", "ACPNN", False),
    "LDSVR": ("ldlkit.classic", "LDSVR", "LDSVR", False),
    "LDLLC": ("ldlkit.classic", "LDLLC", "LDLLC", False),
    "IncomLDL (40% missing)": ("ldlkit.incomplete", "IncomLDL", "IncomLDL", True),
    # the training mean, for scale (ldlkit side only)
    "Mean": ("ldlkit.dummy", "MeanPredictor", None, False),
}
VARIANTS = {"PT-Bayes [var_smoothing=1e-9]": ("PT-Bayes", {"var_smoothing": 1e-9})}
MISSING_RATE = 0.4
SEED = base.SEED


def training_fold(D: np.ndarray, train: np.ndarray, k: int, incomplete: bool):
    """The training degrees both sides see, and the mask of the known ones (None: complete)."""
    if not incomplete:
        return D[train], None
    from ldlkit.simulation import observed_mask, random_missing

    hidden = random_missing(D[train], rate=MISSING_RATE, random_state=k)
    return np.nan_to_num(hidden, nan=0.0), observed_mask(hidden)


def make_ldlkit(method: str):
    import importlib

    method, extra = VARIANTS.get(method, (method, {}))
    module, name, _, _ = METHODS[method]
    cls = getattr(importlib.import_module(module), name)
    params = {"random_state": SEED} if "random_state" in cls().get_params() else {}
    return cls(**params, **extra)


def base_method(method: str) -> str:
    return VARIANTS.get(method, (method,))[0]


class _WithMask:
    """fit(X, D) of the shared fit_predict, with the fold's mask passed on."""

    def __init__(self, model, observed, mask_keyword):
        self.model, self.observed, self.keyword = model, observed, mask_keyword

    def fit(self, X, D):
        if self.observed is None:
            self.model.fit(X, D)
        elif self.keyword == "observed":
            self.model.fit(X, D, observed=self.observed)
        else:  # python-ldl: mask=True marks the missing entries
            self.model.fit(X, D, mask=~self.observed)
        return self

    def predict(self, X):
        return self.model.predict(X)


def _folds_for(D, fold_ids, incomplete):
    splits = base.folds(len(D))
    out = {}
    for k in fold_ids:
        train, test = splits[k]
        D_train, observed = training_fold(D, train, k, incomplete)
        out[k] = (train, test, D_train, observed)
    return out


def _fit_predict(model, X, D_train, train, test, observed, keyword) -> dict:
    # base.fit_predict indexes D by train: give it the fold's training degrees in place
    D_full = np.zeros((len(X), D_train.shape[1]))
    D_full[train] = D_train
    return base.fit_predict(_WithMask(model, observed, keyword), X, D_full, train, test)


# -- the reference side (inside python-ldl's virtual environment) ------------------------------
def reference_worker(args) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import pyldl.algorithms as reference

    data = np.load(args.data)
    X = data["X"]
    cls = getattr(reference, METHODS[args.method][2])
    with warnings.catch_warnings():  # one untimed fit: numba/keras compile on first use
        warnings.simplefilter("ignore")
        try:
            small = data[f"Dtrain{args.fold_ids[0]}"][:30]
            mask = data.get(f"observed{args.fold_ids[0]}")
            warm = _WithMask(cls(random_state=SEED), None if mask is None else mask[:30], "mask")
            warm.fit(X[data[f"train{args.fold_ids[0]}"][:30]], small).predict(X[:5])
        except Exception:
            pass
    cache = Path(args.worker_out)
    spent, slowest = 0.0, 0.0
    for k in args.fold_ids:
        if not base.within_budget(spent, slowest, args.budget):
            break
        train, test = data[f"train{k}"], data[f"test{k}"]
        observed = data[f"observed{k}"] if f"observed{k}" in data else None
        done = _fit_predict(
            cls(random_state=SEED), X, data[f"Dtrain{k}"], train, test, observed, "mask"
        )
        np.savez(
            cache / f"fold{k}.npz",
            P=done["P"],
            meta=json.dumps({key: done[key] for key in ("fit_s", "predict_s", "warnings")}),
        )
        spent += done["fit_s"] + done["predict_s"]
        slowest = max(slowest, done["fit_s"] + done["predict_s"])


def run_reference(args, dataset, method, X, D, fold_ids) -> dict:
    cache = base.cache_dir(args, dataset, method)
    todo = [k for k in fold_ids if not (cache / f"fold{k}.npz").exists()]
    error = None
    if todo:
        prepared = _folds_for(D, todo, METHODS[method][3])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.npz"
            arrays = {"X": X}
            for k, (train, test, D_train, observed) in prepared.items():
                arrays[f"train{k}"], arrays[f"test{k}"], arrays[f"Dtrain{k}"] = train, test, D_train
                if observed is not None:
                    arrays[f"observed{k}"] = observed
            np.savez(path, **arrays)
            command = [
                args.reference_python, __file__, "--worker", "--method", method,
                "--data", str(path), "--fold-ids", *map(str, todo),
                "--budget", str(args.budget), "--worker-out", str(cache),
            ]  # fmt: skip
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.budget + 60
                )
                if done.returncode != 0:
                    error = (done.stderr.strip().splitlines() or ["no output"])[-1]
            except subprocess.TimeoutExpired:
                error = f"stopped at {args.budget + 60:.0f} s inside a fold"
    return {"folds": base.collect_cached(cache, fold_ids), "error": error}


def run_ldlkit_side(args, record, X, D, fold_ids, save) -> None:
    method = record["method"]
    side = record.get("ldlkit", {})
    if "folds" not in side or args.rerun_ldlkit:
        side = {"folds": {}, "skipped_folds": [], "warnings": []}
    record["ldlkit"] = side
    prepared = _folds_for(D, fold_ids, METHODS[base_method(method)][3])
    spent, slowest = 0.0, 0.0
    side["skipped_folds"] = []
    for k in fold_ids:
        if str(k) in side["folds"]:
            continue
        if not base.within_budget(spent, slowest, args.budget):
            side["skipped_folds"].append(k)
            continue
        train, test, D_train, observed = prepared[k]
        done = _fit_predict(make_ldlkit(method), X, D_train, train, test, observed, "observed")
        side["folds"][str(k)] = base.fold_record(D[test], done)
        base.add_warnings(side, done["warnings"])
        spent += done["fit_s"] + done["predict_s"]
        slowest = max(slowest, done["fit_s"] + done["predict_s"])
        base.refresh_means(side)
        save()
    base.refresh_means(side)


def run_reference_side(args, record, X, D, fold_ids) -> None:
    if record["method"] in VARIANTS:
        return  # compared with the reference run of the base method when rendering
    if METHODS[record["method"]][2] is None:
        record["reference"] = {"skipped": "python-ldl counterpart not needed"}
        return
    side = record.get("reference", {})
    if "folds" not in side:
        side = {"folds": {}, "skipped_folds": [], "warnings": []}
    record["reference"] = side
    missing = [k for k in fold_ids if str(k) not in side["folds"]]
    if not missing:
        return
    splits = base.folds(len(X))
    found = run_reference(args, record["dataset"], record["method"], X, D, missing)
    for k, done in found["folds"].items():
        side["folds"][str(k)] = base.fold_record(D[splits[k][1]], done)
        base.add_warnings(side, done.get("warnings", []))
    side["skipped_folds"] = [k for k in fold_ids if str(k) not in side["folds"]]
    if found["error"]:
        side["last_error"] = found["error"]
    base.refresh_means(side)


def merge(files: list[dict]) -> dict:
    """The shared merge, then each variant paired with its base method's reference folds."""
    merged = base.merge(files)
    runs = merged["runs"]
    for record in runs.values():
        if record["method"] in VARIANTS:
            record["reference"] = runs.get(
                f"{record['dataset']}/{base_method(record['method'])}", {}
            ).get("reference", {"skipped": "no reference run of the base method"})
        if "folds" in record["ldlkit"] and "folds" in record["reference"]:
            record["paired"] = base.paired(record["ldlkit"], record["reference"])
    return merged


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS) + list(VARIANTS))
    parser.add_argument("--folds", type=int, default=base.FOLDS)
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--sides", nargs="+", default=["ldlkit", "reference"])
    parser.add_argument("--reference-python", default="/work/venv-pyldl/bin/python")
    parser.add_argument("--cache-dir", default="/tmp/ldlkit_classic_reference_cache")
    parser.add_argument("--rerun-ldlkit", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/classic_vs_reference.json")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--render", metavar="FILE", nargs="+")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--fold-ids", nargs="+", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        reference_worker(args)
        return
    if args.render:
        print(base.render(merge([json.loads(Path(f).read_text()) for f in args.render])))
        return

    out_path = Path(args.out)
    results = json.loads(out_path.read_text()) if args.resume and out_path.exists() else {}
    results["protocol"] = {
        "cv": f"KFold({base.FOLDS}, shuffle=True, random_state={SEED}), first {args.folds} folds",
        "features": "raw (no scaling)",
        "parameters": "each package's defaults",
        "incomplete": f"random_missing(rate={MISSING_RATE}, random_state=fold) on training folds",
        "threads": {
            k: os.environ.get(k, "unset")
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        },
        "budget_s_per_side": args.budget,
        "cpu_count": os.cpu_count(),
    }
    results.setdefault("load_average", [])
    runs = results.setdefault("runs", {})

    def save():
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(results, indent=1))

    fold_ids = list(range(min(args.folds, base.FOLDS)))
    for dataset in args.datasets:
        X, D = base.load(dataset)
        for method in args.methods:
            record = runs.setdefault(f"{dataset}/{method}", {"dataset": dataset, "method": method})
            record["requested_folds"] = sorted(
                set(record.get("requested_folds", [])) | set(fold_ids)
            )
            results["load_average"].append(
                {"at": time.strftime("%H:%M:%S"), "run": f"{dataset}/{method}",
                 "loadavg": list(os.getloadavg())}
            )  # fmt: skip
            if "ldlkit" in args.sides:
                run_ldlkit_side(args, record, X, D, fold_ids, save)
            if "reference" in args.sides:
                run_reference_side(args, record, X, D, fold_ids)
            record.setdefault("ldlkit", {"skipped": "not run yet"})
            record.setdefault("reference", {"skipped": "not run yet"})
            if "folds" in record["ldlkit"] and "folds" in record["reference"]:
                record["paired"] = base.paired(record["ldlkit"], record["reference"])
            save()
            print(base.short_line(record), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
