"""The protocols work on their own: no runner, no experiments package."""

from __future__ import annotations

import subprocess
import sys


def test_the_splitters_do_not_import_the_experiments_package():
    code = (
        "import sys, numpy as np\n"
        "from ldlkit.datasets import make_artificial\n"
        "from ldlkit.model_selection import ImbalancedSplit, RepeatedKFold, get_protocol\n"
        "X, D = make_artificial(60, random_state=0)\n"
        "folds = list(RepeatedKFold(3, 2).split(X, D))\n"
        "names = [n for n, _ in __import__('ldlkit.papers').papers.protocol_parameters('ildl')"
        ".items()]\n"
        "ImbalancedSplit(dataset=names[0])\n"
        "get_protocol(next(iter(__import__('ldlkit.papers').papers.protocol_presets())))\n"
        "print(len(folds), sorted(m for m in sys.modules if m.startswith('ldlkit.experiments')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "6 []"
