"""Experiments: a resumable runner, statistics, reports and plots (the engine; it names no paper).

Data flows one way: dataset -> splitter -> estimator -> metrics -> statistics -> report.

* Protocols are scikit-learn splitters in :mod:`ldlkit.model_selection` (:class:`RepeatedKFold`,
  :class:`ImbalancedSplit`, :class:`EnhancementProtocol`), re-exported here.
* :func:`run_experiment` runs methods x datasets x splits with joblib (any backend, a Dask or Ray
  cluster included), writes every finished fold to ``results.jsonl`` and resumes an interrupted
  run; :class:`Results` reads that file back.
* :func:`compare` summarises results (mean ± std, paired t-test markers, average ranks);
  :func:`format_table` / :func:`save_table` render it; :func:`paper_vs_measured` puts a paper's
  reported values (:func:`reported_table`, from the paper folders of :mod:`ldlkit.papers`) beside
  the measured ones.
* :func:`run_reproduction` reproduces a registered paper table (``ldlkit reproduce``); each paper
  folder registers its reproductions with :func:`register_reproduction`.
"""

from __future__ import annotations

#: No estimator is defined here (the engine): ldlkit.base.all_estimators() does not import it.
__ldlkit_no_estimators__ = True

from .._spec import is_label_enhancer, parse_method_spec, resolve_methods
from ..metrics import label_subset_euclidean
from ..model_selection import (
    PROTOCOLS,
    EnhancementProtocol,
    ImbalancedSplit,
    RepeatedKFold,
    evaluate_enhancement,
    get_protocol,
    imbalanced_parameters,
    imbalanced_subset,
    make_protocol,
)
from ..papers import find_reported_table, list_reported, reported_table
from ._plots import (
    plot_distributions,
    plot_metric_comparison,
    save_comparison_figures,
    save_distribution_figures,
)
from ._reports import (
    FORMATS,
    format_paper_vs_measured,
    format_table,
    load_table,
    paper_vs_measured,
    save_table,
)
from ._reproduce import (
    Reproduction,
    ReproductionReport,
    build_methods,
    default_reference,
    describe_estimate,
    describe_reported_tables,
    describe_reproduction_plan,
    estimate_seconds,
    format_reproduction,
    get_reproduction,
    list_reproductions,
    register_reproduction,
    run_reproduction,
)
from ._results import RESULTS_FILE, Results
from ._runner import resolve_datasets, run_experiment, score_predictions
from ._statistics import (
    BETTER,
    WORSE,
    Cell,
    ComparisonTable,
    average_ranks,
    compare,
    paired_ttest,
    significance_marker,
)
from ._sweeps import DEMO_DATASET, demo_reference, expand_demo_datasets, fast_methods

__all__ = [
    "BETTER",
    "DEMO_DATASET",
    "FORMATS",
    "PROTOCOLS",
    "RESULTS_FILE",
    "WORSE",
    "Cell",
    "ComparisonTable",
    "EnhancementProtocol",
    "ImbalancedSplit",
    "RepeatedKFold",
    "Reproduction",
    "ReproductionReport",
    "Results",
    "average_ranks",
    "build_methods",
    "compare",
    "default_reference",
    "demo_reference",
    "describe_estimate",
    "describe_reported_tables",
    "describe_reproduction_plan",
    "estimate_seconds",
    "evaluate_enhancement",
    "expand_demo_datasets",
    "fast_methods",
    "find_reported_table",
    "format_paper_vs_measured",
    "format_reproduction",
    "format_table",
    "get_protocol",
    "get_reproduction",
    "imbalanced_parameters",
    "imbalanced_subset",
    "is_label_enhancer",
    "label_subset_euclidean",
    "list_reported",
    "list_reproductions",
    "load_table",
    "make_protocol",
    "paired_ttest",
    "paper_vs_measured",
    "parse_method_spec",
    "plot_distributions",
    "plot_metric_comparison",
    "register_reproduction",
    "reported_table",
    "resolve_datasets",
    "resolve_methods",
    "run_experiment",
    "run_reproduction",
    "save_comparison_figures",
    "save_distribution_figures",
    "save_table",
    "score_predictions",
    "significance_marker",
]
