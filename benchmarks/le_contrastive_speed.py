"""ConLE's contrastive loss: the masked-logsumexp formula against the in-place one ldlkit uses.

Both compute Eqs. 5-8 (the positive is the other view of the row, the negatives every other row
of both views); ``masked`` builds a boolean mask of the ``(2n, 2n)`` logits, copies them with
``masked_fill`` and takes a ``logsumexp``; ``inplace`` (``ldlkit.enhancement._conle``) fills the
excluded entries in place and sums ``exp`` of the logits shifted by ``1 / tau``. One forward and
backward pass per step at ConLE's default batch (1,024 rows, 128 projection dimensions), one
torch thread, the two timed alternately (CPU seconds, so other processes on a shared machine
count less); the JSON records the load and the largest difference of values and gradients.

Usage::

    PYTHONPATH=src python benchmarks/le_contrastive_speed.py \
        --out benchmarks/results/le_contrastive_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def masked(Z, Q, temperature):
    import torch
    import torch.nn.functional as F

    n = Z.shape[0]
    views = F.normalize(torch.cat([Z, Q], dim=0), dim=1)
    logits = views @ views.T / temperature
    index = torch.arange(2 * n)
    partner = torch.cat([index[n:], index[:n]])
    positive = logits[index, partner]
    negatives = torch.ones_like(logits, dtype=torch.bool)
    negatives[index, index] = False
    negatives[index, partner] = False
    denominator = torch.logsumexp(logits.masked_fill(~negatives, float("-inf")), dim=1)
    return (denominator - positive).sum() / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/le_contrastive_speed.json")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    import torch

    from ldlkit.enhancement._conle import contrastive_loss

    torch.set_num_threads(1)
    torch.manual_seed(0)
    Z = torch.randn(1024, 128, requires_grad=True)
    Q = torch.randn(1024, 128, requires_grad=True)
    worst = 0.0
    for tau in (0.5, 0.1, 0.01):
        a, b = masked(Z, Q, tau), contrastive_loss(Z, Q, tau)
        grads = [torch.autograd.grad(v, [Z, Q]) for v in (a, b)]
        worst = max(
            worst,
            abs(float((a - b).detach())) / abs(float(a.detach())),
            *(float((x - y).abs().max()) for x, y in zip(*grads, strict=True)),
        )
    seconds: dict = {"masked": [], "inplace": []}
    for _ in range(args.rounds):
        for name, fn in (("masked", masked), ("inplace", contrastive_loss)):
            start = time.process_time()
            for _ in range(args.steps):
                fn(Z, Q, 0.5).backward()
            seconds[name].append((time.process_time() - start) / args.steps)
    ratios = [m / i for m, i in zip(seconds["masked"], seconds["inplace"], strict=True)]
    document = {
        "benchmark": "ConLE contrastive loss, forward + backward, batch 1024, 128 dims, tau 0.5",
        "script": "benchmarks/le_contrastive_speed.py",
        "cpu_seconds_per_step": seconds,
        "ratio_masked_over_inplace": sorted(ratios),
        "median_ratio": sorted(ratios)[len(ratios) // 2],
        "max_difference_value_rel_or_grad_abs": worst,
        "load_average": os.getloadavg(),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "note": "machine shared with other sessions: ratios, not absolute times",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(document["median_ratio"], worst)


if __name__ == "__main__":
    main()
