"""Reported results of the UAKNN paper (Wang, Zhang & Zheng), transcribed from its text.

The numbers are the paper's, copied digit for digit (including its apparent typos, e.g. the SJAFFE
KL values of LDL-LRR, LDL-LCLR, LDLSF and LALOT, which are ten times the others, and the LDL-LRR and
LDL-LCLR rows of SJAFFE that repeat wc-LDL's). They are shown beside measured numbers and never used
to tune anything.

Notes on the transcription
--------------------------
* "Ours" is stored as "UAKNN"; the ablation rows of Table 4 as "UAKNN w/o prototype matching" and
  "UAKNN w/o micro-perturbation". Other methods keep the paper's names.
* The paper reports **no AA-kNN row** in any table (AA-kNN is only discussed in its text), so there
  is none here: measured AA-kNN numbers have no reported counterpart.
* Table 2's first dataset, wc-LDL, is not in the ldlkit dataset registry and is left out; every
  other dataset is stored under its ldlkit registry name (SBU -> SBU_3DFE, Scene -> Natural_Scene,
  Gene -> Human_Gene, SCUT -> SCUT_FBP, RAF-ML -> RAF_ML, Twitter -> Twitter_LDL,
  Flickr -> Flickr_LDL).
* Tables 4-6 are on Gene only. Table 4 (ablation) is stated to use 5-fold cross-validation; Table 5
  uses the paper's label-normalisation evaluation scheme
  (:func:`ldlkit.neighbors.label_normalized_metric`) and Table 6 five-model ensembles
  (:class:`ldlkit.neighbors.LDLEnsemble`); the paper does not state their repetitions.
"""

from __future__ import annotations

from ldlkit.papers import Paper

PAPER = Paper(
    name="uaknn",
    title="UAKNN: Label Distribution Learning via Uncertainty-Aware KNN",
    reference="UAKNN",
    presets={
        "uaknn": (5, 10, "UAKNN (Tables 2-3): 10 times 5-fold cross-validation"),
        "uaknn-ablation": (5, 1, "UAKNN (Table 4): 5-fold cross-validation"),
    },
    # `ldlkit run` with no arguments follows this paper: its fast methods in this order, and
    # the markers compare with UAKNN.
    demo_methods=("MeanPredictor", "AAKNN", "UAKNN", "WUAKNN", "TunedUAKNN"),
    demo_reference="UAKNN",
)
