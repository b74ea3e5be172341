"""Reported results of the DILDL paper (Gao, Sun, Ling, Tan, Zhai & Lv, IJCAI 2025).

Transcribed digit for digit from the paper's text (``papers/dildl.txt``). They are shown beside
measured numbers and never used to tune anything.

Notes on the transcription
--------------------------
* The paper's tables call RDA "RAD" (a typo; its text says RDA); stored as "RDA". "DILDL (Ours)"
  is stored as "DILDL"; the other methods keep the paper's names ("SA-BFGS", "EDL-LRL", "LDLSF",
  "LDL-LCLR", "Adam-LDL-SCL", "LDL-LDM", "OFR-FL", "OFR-CB", "OFR-DB").
* Datasets under their ldlkit registry names: SCUT-FBP -> SCUT_FBP, Emotion6 -> emotion6,
  RAF-ML -> RAF_ML, Natural Scene -> Natural_Scene. Flickr_LDL, RAF_ML and Natural_Scene are not
  provided with ldlkit; their values stay here for users who have the files.
* Tables 1-2 give mean ± std with •/○ t-test markers (not stored). Table 5 gives means only,
  in the column order all / tail / head (its caption says "tail, head and all"; the header and
  the values — all >= tail, head on every row — follow all, tail, head).
* Table 3 (Movie ablation): the extracted text of its third row (DLD without DRDA, by
  elimination) keeps only the Clark value 0.792; the other five cells are lost and not stored.
  Rows are named "DILDL w/o DRDA and DLD", "DILDL w/o DLD" (DRDA only), "DILDL w/o DRDA" (DLD
  only) and "DILDL".
* Where the AMEMA paper repeats these tables, a few digits differ (RDA's SCUT-FBP KL 0.4313 here,
  0.4331 there; OFR-FL's Flickr_LDL KL 2.5989 here, 2.5998 there; SA-BFGS's SCUT-FBP KL 13.0419
  here, 13.04 there); each module keeps its own paper's digits.
* The protocol: 10 random splits, 90% training+validation (a validation subset inside it) and
  10% test, the training folds made imbalanced as in RDA (Zhao et al., AAAI 2023).
"""

from __future__ import annotations

from ldlkit.papers import Paper

#: The imbalanced protocol's subset rule per dataset, ``(a, b, c, d)``: a training row is kept
#: when ``D[:, c] < a / L`` and ``D[:, d] > b / L`` (plus, for every label, the row with the
#: largest degree on it); RDA's protocol, which DILDL and AMEMA follow.
ILDL_PARAMETERS: dict[str, tuple[float, float, int, int]] = {
    "Movie": (1, 2, 2, 0),
    "SCUT_FBP": (2, 0.1, 2, 4),
    "emotion6": (0.8, 1, 3, 0),
    "Flickr_LDL": (0.8, 1, 2, 4),
    "RAF_ML": (5, 3.5, 2, 1),
    "Natural_Scene": (5, 2, 0, 4),
}

PAPER = Paper(
    name="dildl",
    title="Decoupled Imbalanced Label Distribution Learning (DILDL), IJCAI 2025",
    reference="DILDL",
    parameters={"ildl": ILDL_PARAMETERS},
)
