"""Reported results of the AMEMA paper (Gao, Sun, Tan, Hu & Lv, AAAI 2026).

Transcribed digit for digit from the paper's text (``papers/amema.txt``) and, for the
``appendix`` table, from the appendix values recorded in ``REFERENCE.md``. They are shown beside
measured numbers and never used to tune anything.

Notes on the transcription
--------------------------
* Methods keep the paper's names ("SA-BFGS", "EDL-LRL", "LDLSF", "LDL-LCLR", "Adam-LDL-SCL",
  "LDL-LDM", "OFR-FL", "OFR-CB", "OFR-DB", "RDA", "DILDL", "AMEMA"); datasets use their ldlkit
  registry names (SCUT-FBP -> SCUT_FBP, Emotion6 -> emotion6, RAF-ML -> RAF_ML, Natural Scene ->
  Natural_Scene). Flickr_LDL, RAF_ML and Natural_Scene are not provided with ldlkit.
* Tables 1-2 give mean ± std with •/○ markers (not stored); several cells repeat the DILDL
  paper's tables with small digit differences (see ``ldlkit/papers/dildl/``).
* Table 3 holds both ablations, (a) Movie and (b) Natural Scene. Its extracted text marks the
  second row "WEIG" and the third row "WEIG, MOME" like the fourth; the third row is read as MOME
  only (by elimination, and because the text ablates each component on its own). Rows:
  "AMEMA w/o WEIG and MOME" (its values equal DILDL's full results), "AMEMA w/o MOME" (WEIG
  only), "AMEMA w/o WEIG" (MOME only) and "AMEMA". Means only.
* ``text``: the values the Results section quotes that are in no table (AMEMA and DILDL Clark on
  Movie, Canberra on Flickr_LDL, Intersection on RAF_ML, Cosine on Natural_Scene).
* Protocol: the text describes an 80/10/10 train/validation/test split and 10-fold
  cross-validation; the authors' code draws the imbalanced training folds of RDA's protocol.
"""

from __future__ import annotations

from ldlkit.papers import Paper

PAPER = Paper(
    name="amema",
    title="Adaptive Momentum and EMA-weighted Modeling for Imbalanced LDL (AMEMA), AAAI 2026",
    reference="AMEMA",
    presets={"amema": (10, 1, "AMEMA / DILDL: 10-fold cross-validation")},
)
