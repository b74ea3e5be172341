"""Reported results of the ConLE paper (Wang, Zhou, Zhu, Liu, Yan & Tian, IJCAI 2023).

The numbers are the paper's, copied digit for digit from its Tables 3 and 4 (three decimals, no
standard deviations). They are shown beside measured numbers and never used to tune anything.

Notes on the transcription
--------------------------
* Datasets are stored under their ldlkit registry names (SBU-3DFE -> SBU_3DFE, Natural-Scene ->
  Natural_Scene, Yeast-alpha -> Yeast_alpha, ...). Natural_Scene, Yeast_dtt and Yeast_cold are
  not provided with ldlkit but stay in the table.
* Table 3 prints its last Cosine/Intersection row as "Yeast-spo" a second time; by its position
  (the 13th dataset of Table 1) it is Yeast-spo5 and is stored as ``Yeast_spo5``.
* "LEVI-MLP" keeps the paper's name (ldlkit's class is :class:`ldlkit.enhancement.LEVI`); the
  ablations are stored as "ConLE_h" (no contrastive loss) and "ConLE_l" (no threshold loss).
* Table 4 reports only KL, Clark, Canberra and Intersection.
* Apparent slips kept as printed: the Chebyshev values of FCM, KM, LP and GLLE on SBU-3DFE
  (0.230, 0.234, 0.161, 0.122) repeat those on Movie; LP's KL on Yeast-cdc and Yeast-elu (0.013,
  0.012) are ten times below its other Yeast values.
* The KM row on SJAFFE (and on Movie, except KL) equals, digit for digit, the score of the
  logical labels divided by their row sums: see ``docs/reproduction-le.md``.
* The paper's Avg.Rank rows are kept in ``table3_average_ranks.csv`` (:data:`AVERAGE_RANKS`),
  not in ``table3.csv``, whose format holds per-dataset values only.
"""

from __future__ import annotations

from pathlib import Path

from ldlkit.papers import Paper, read_value_table

PAPER = Paper(
    name="conle",
    title="Contrastive Label Enhancement (ConLE), IJCAI 2023",
    reference="ConLE",
    presets={"conle": (10, 10, "ConLE (Table 3): 10 times 10-fold cross-validation")},
)

#: Table 3's last row (average rank over the 13 datasets), ``method -> metric -> rank``, as
#: printed (``table3_average_ranks.csv``).
AVERAGE_RANKS = read_value_table(Path(__file__).with_name("table3_average_ranks.csv"))
