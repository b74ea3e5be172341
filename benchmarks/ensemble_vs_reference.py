"""The boosting methods of ``ldlkit.ensemble`` beside the ``python-ldl`` package, on the same folds.

A sibling of ``classic_vs_reference.py`` that reuses its machinery (folds, the reference worker
protocol, budgets, paired tests, merging and the table) with this file's method table:
``KFold(10, shuffle=True, random_state=0)``, raw features, each package's default parameters
(``random_state=0`` on both sides), fit and predict timed per fold.

python-ldl's ensemble module imports two compiled helpers that its wheel ships only as C sources
(``_tree``, used by StructRF, and ``_rbm``, used by RG4LDL); the worker stands in empty modules for
them, which LDLogitBoost and AdaBoostLDL do not use.

Run with one BLAS/OpenMP thread on both sides, nice'd. ``--budget`` (seconds, per side and per
dataset/method) stops a side before a fold that would overrun it, so large sets get fewer folds;
the JSON lists the folds each side ran, and ``stages`` the command lines that produced it. The
committed JSON came from these stages, about 45 minutes on 2 loaded cores (LDLogitBoost with its
default fully grown trees takes about 30 s a fold on SJAFFE and several minutes on SBU_3DFE)::

    export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=src \\
        LDLKIT_DATA=/path/to/datasets
    B="nice -n 10 python benchmarks/ensemble_vs_reference.py"
    $B --methods AdaBoostLDL Mean --folds 10 --budget 150
    $B --resume --datasets SJAFFE Yeast_heat --methods LDLogitBoost \\
        "LDLogitBoost [centering=samples]" --folds 5 --budget 150
    $B --resume --methods StructRF --folds 10 --budget 120
    $B --resume --datasets M2B SBU_3DFE --methods LDLogitBoost --folds 2 --budget 300

The last stage was stopped by hand after M2B (ldlkit's one fold took 755 s, the reference's was
stopped at 360 s), before SBU_3DFE; a trivial fifth stage (``--datasets M2B --methods Mean``) then
applied the post-processing and recorded that in ``stages``.

LDLogitBoost's rows were then rerun into their own file, with more folds (the reference's fold
0 of SJAFFE and Yeast_heat came from the cache of the stages above; every other fold was fitted
in these stages, about 27 minutes on 2 cores at load 2.4-4.6)::

    L=benchmarks/results/ensemble_vs_reference_logitboost.json
    LB=(LDLogitBoost "LDLogitBoost [centering=samples]")
    $B --out $L --datasets SJAFFE Yeast_heat --methods LDLogitBoost --sides reference \\
        --folds 10 --budget 900
    $B --resume --out $L --sides ldlkit --datasets SJAFFE --methods "${LB[@]}" --folds 10 \\
        --budget 450
    $B --resume --out $L --sides ldlkit --datasets Yeast_heat --methods "${LB[@]}" --folds 10 \\
        --budget 600
    $B --resume --out $L --sides reference --datasets SJAFFE Yeast_heat --methods "${LB[@]}" \\
        --folds 10 --budget 900

(the last stage fits nothing: it pairs the variant with the cached reference folds). Then, for
the time that was left, M2B's fold 0 on both sides and fold 1 on ldlkit's side (3.5 to 4.5
minutes a fold per side)::

    $B --resume --out $L --folds 1 --datasets M2B --sides reference --methods LDLogitBoost \\
        --budget 600
    $B --resume --out $L --folds 1 --datasets M2B --sides ldlkit --methods "${LB[@]}" --budget 600
    $B --resume --out $L --folds 2 --datasets M2B --sides ldlkit --methods "${LB[@]}" --budget 600

SBU_3DFE was not run (about 9 minutes a fold per side, from 5 rounds profiled at load 2). For
three folds of both, on a quiet machine (about 2 hours)::

    $B --resume --out $L --datasets M2B SBU_3DFE --methods "${LB[@]}" --folds 3 --budget 3000

On a quiet machine ``--folds 10 --budget 3000`` runs every fold. The docs' table is
``--render benchmarks/results/ensemble_vs_reference.json $L`` (the later file wins on a fold
both hold).

``--render FILE...`` prints the markdown table of one or more result files.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classic_vs_reference as classic  # noqa: E402  (the shared machinery)

# method -> (ldlkit module, class, python-ldl class, whether the training fold is incomplete)
METHODS = {
    "LDLogitBoost": ("ldlkit.ensemble", "LDLogitBoost", "LDLogitBoost", False),
    "AdaBoostLDL": ("ldlkit.ensemble", "AdaBoostLDL", "AdaBoostLDL", False),
    # python-ldl's StructRF needs its compiled _tree helper, which its wheel does not ship
    "StructRF": ("ldlkit.ensemble", "StructRF", None, False),
    "Mean": ("ldlkit.dummy", "MeanPredictor", None, False),
}
NO_REFERENCE = {
    "StructRF": "python-ldl's StructRF imports pyldl.algorithms._tree, shipped only as C source",
}
# ldlkit with other parameters, paired with the reference run of the base method
VARIANTS = {"LDLogitBoost [centering=samples]": ("LDLogitBoost", {"centering": "samples"})}
DEFAULT_OUT = "benchmarks/results/ensemble_vs_reference.json"
DEFAULT_CACHE = "/tmp/ldlkit_ensemble_reference_cache"


def configure() -> None:
    """Point the shared machinery at this file's methods and at this file as the worker."""
    classic.METHODS = METHODS
    classic.VARIANTS = VARIANTS
    classic.__file__ = str(Path(__file__).resolve())


def reference_worker_setup() -> None:
    """Inside python-ldl's environment: make its ensemble module importable and expose it."""
    for name in ("pyldl.algorithms._tree", "pyldl.algorithms._rbm"):
        stand_in = types.ModuleType(name)
        stand_in._Node = stand_in.best_split = stand_in.train_rbm = None
        sys.modules.setdefault(name, stand_in)
    import pyldl.algorithms as reference
    from pyldl.algorithms import _ensemble

    reference.AdaBoostLDL = _ensemble.AdaBoostLDL  # not in python-ldl's public names
    reference.LDLogitBoost = _ensemble.LDLogitBoost


def main(argv=None) -> None:
    configure()
    argv = list(sys.argv[1:] if argv is None else argv)
    note = None
    if "--stage-note" in argv:  # a sentence kept with this stage in the JSON's "stages"
        at = argv.index("--stage-note")
        note = argv[at + 1]
        del argv[at : at + 2]
    if "--worker" in argv:
        reference_worker_setup()
        classic.main(argv)
        return
    if "--render" not in argv:
        if "--out" not in argv:
            argv += ["--out", DEFAULT_OUT]
        if "--cache-dir" not in argv:
            argv += ["--cache-dir", DEFAULT_CACHE]
    classic.main(argv)
    if "--render" in argv:
        return
    out = Path(argv[argv.index("--out") + 1])
    results = json.loads(out.read_text())
    protocol = results["protocol"]
    protocol.pop("incomplete", None)
    protocol["folds_note"] = (
        "each side stops before a fold that would overrun budget_s_per_side; the folds each "
        "run has are listed under runs/<dataset>/<method>/<side>/folds (skipped_folds: not run)"
    )
    protocol["reference_note"] = (
        "python-ldl's LDLogitBoost centres each tree's output on the mean over the rows being "
        "predicted (the test fold); ldlkit's default centres across labels, its "
        "centering='samples' variant on the training rows' means"
    )
    for record in results["runs"].values():
        if record["method"] in NO_REFERENCE:
            record["reference"] = {"skipped": NO_REFERENCE[record["method"]]}
        if record["method"] in VARIANTS:  # the variant against ldlkit's base method, fold by fold
            base_record = results["runs"].get(
                f"{record['dataset']}/{VARIANTS[record['method']][0]}", {}
            )
            if "folds" in record.get("ldlkit", {}) and "folds" in base_record.get("ldlkit", {}):
                record["paired_with_ldlkit_base_method"] = classic.base.paired(
                    record["ldlkit"], base_record["ldlkit"]
                ) | {"note": "'ldlkit' here is this variant, 'reference' ldlkit's base method"}
    results.setdefault("stages", []).append(
        {"argv": argv, "load_average_after": list(os.getloadavg()), "cpu_count": os.cpu_count()}
        | ({"note": note} if note else {})
    )
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
