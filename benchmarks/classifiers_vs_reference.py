"""The LDL classifiers and WInLDL beside the ``python-ldl`` package, on the same folds.

A sibling of ``classic_vs_reference.py`` (and through it ``baselines_vs_reference.py``), reusing
its machinery: ``KFold(10, shuffle=True, random_state=0)``, raw features, each package's default
parameters on both sides, per-fold metrics and fit time, paired tests. Beside the six distance
metrics it scores the classification measures the classifiers' papers report: the error
probability ``1 - d_{argmax p}`` and the top-1 accuracy (one minus the 0/1 loss of the dominant
label); the paired tests cover KL, cosine and the error probability. python-ldl's classifiers
predict labels with ``predict`` and distributions with ``predict_proba``; the distributions are
compared. For WInLDL each training fold first loses 40 % of its degrees with
:func:`ldlkit.simulation.random_missing` (seed = fold index); both packages get the same known
degrees and mask, and are scored on the complete test fold.

Run with one BLAS/OpenMP thread on both sides (the reference's keras/torch too)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 LDLKIT_DATA=/path/to/datasets \\
        PYTHONPATH=src python benchmarks/classifiers_vs_reference.py --folds 10 --budget 300

``--render FILE...`` prints the markdown table of one or more result files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines_vs_reference as base  # noqa: E402
import classic_vs_reference as classic  # noqa: E402

METHODS = {
    "LDL4C": ("ldlkit.classifiers", "LDL4C", "LDL4C", False),
    "LDL-HR": ("ldlkit.classifiers", "LDLHR", "LDL_HR", False),
    "LDLM": ("ldlkit.classifiers", "LDLM", "LDLM", False),
    "WInLDL (40% missing)": ("ldlkit.incomplete", "WInLDL", "WInLDL", True),
}
# ldlkit with other parameters, paired with the reference run of the base method
VARIANTS = {
    "LDLM [solver=gd, 1000 steps]": ("LDLM", {"solver": "gd", "max_iter": 1000}),
    "WInLDL (40% missing) [z_step=exact]": ("WInLDL (40% missing)", {"z_step": "exact"}),
}
CLASSIFICATION = ["error_probability", "top1_accuracy"]
PAIRED = ("kl_divergence", "cosine", "error_probability")


def _predict(self, X):
    """python-ldl's classifiers give distributions through ``predict_proba``."""
    proba = getattr(self.model, "predict_proba", None)
    return proba(X) if callable(proba) else self.model.predict(X)


def paired(ours: dict, theirs: dict) -> dict:
    """The shared paired tests, with the error probability tested the same way."""
    from scipy.stats import ttest_rel, wilcoxon

    out = _shared_paired(ours, theirs)
    common = sorted(set(ours["folds"]) & set(theirs["folds"]), key=int)
    if len(common) < 2:
        return out
    for metric in PAIRED:
        if metric in out:
            continue
        a = np.array([ours["folds"][k][metric] for k in common])
        b = np.array([theirs["folds"][k][metric] for k in common])
        test = ttest_rel(a, b)
        entry = {
            "ldlkit_minus_reference": float((a - b).mean()),
            "t": float(test.statistic) if np.isfinite(test.statistic) else None,
            "p": float(test.pvalue) if np.isfinite(test.pvalue) else None,
            "wilcoxon_p": None,
        }
        if len(common) >= 5 and np.any(a != b):
            entry["wilcoxon_p"] = float(wilcoxon(a, b).pvalue)
        out[metric] = entry
    return out


_shared_paired = base.paired


def render(results: dict) -> str:
    lines = [
        "| dataset | method | folds ldlkit/ref | KL ldlkit | KL ref | p (KL) t / W | "
        "cosine ldlkit | cosine ref | p (cos) t / W | err. prob. ldlkit | err. prob. ref | "
        "p (err) t / W | top-1 ldlkit | top-1 ref | fit s/fold ldlkit | fit s/fold ref |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = list(METHODS) + list(VARIANTS)

    def position(record):
        return (base_index(record["dataset"]), order.index(record["method"]))

    def base_index(dataset):
        return classic.DATASETS.index(dataset) if dataset in classic.DATASETS else 99

    for record in sorted(results["runs"].values(), key=position):
        ours, theirs, pair = record["ldlkit"], record["reference"], record.get("paired", {})

        def get(side, metric):
            return f"{side['mean'][metric]:.4g}" if side.get("mean") else "—"

        def p(metric, pair=pair):
            entry = pair.get(metric, {})
            if entry.get("p") is None:
                return "—"
            w = entry.get("wilcoxon_p")
            return f"{entry['p']:.3f}" + ("" if w is None else f" / {w:.3f}")

        def fit(side):
            return f"{side['mean']['fit_s']:.3f}" if side.get("mean") else "—"

        folds = f"{len(ours.get('folds', {}))}/{len(theirs.get('folds', {}))}"
        lines.append(
            f"| {record['dataset']} | {record['method']} | {folds} | "
            f"{get(ours, 'kl_divergence')} | {get(theirs, 'kl_divergence')} | "
            f"{p('kl_divergence')} | {get(ours, 'cosine')} | {get(theirs, 'cosine')} | "
            f"{p('cosine')} | {get(ours, 'error_probability')} | "
            f"{get(theirs, 'error_probability')} | {p('error_probability')} | "
            f"{get(ours, 'top1_accuracy')} | {get(theirs, 'top1_accuracy')} | "
            f"{fit(ours)} | {fit(theirs)} |"
        )
    return "\n".join(lines)


def _install() -> None:
    """Point the shared machinery at these methods, metrics and this file (the worker)."""
    classic.METHODS = METHODS
    classic.VARIANTS = VARIANTS
    classic.__file__ = __file__  # the reference worker is this script
    classic._WithMask.predict = _predict
    for metric in CLASSIFICATION:
        if metric not in base.METRICS:
            base.METRICS.append(metric)
    base.paired = paired
    base.render = render


def main(argv=None) -> None:
    _install()
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--out" not in argv and "--worker" not in argv and "--render" not in argv:
        argv += ["--out", "benchmarks/results/classifiers_vs_reference.json"]
    if "--cache-dir" not in argv:
        argv += ["--cache-dir", "/tmp/ldlkit_classifiers_reference_cache"]
    classic.main(argv)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
