"""Where a ConLE epoch's time goes: the whole loss against the loss without its contrastive term.

On fold 0 of the ``conle`` reproduction's split of a data set (the training half, its
parameters), times SGD epochs of ConLE's networks with the full loss and with the contrastive
term left out (ConLE_h's loss, same batches), alternately, one torch thread, and reports CPU
seconds per epoch and the share of the contrastive term; and the full loss with ConLE's
hand-written negatives term against the same formula through autograd's graph (masked logits,
shifted exps, as ``_graph_contrastive_loss`` below), with the largest relative difference of the
two losses' gradients on one batch.

Usage (about a CPU minute for Movie)::

    LDLKIT_DATA=/path/to/datasets OMP_NUM_THREADS=1 nice -n 10 \
        python benchmarks/conle_epoch_cost.py Movie \
        --out benchmarks/results/conle_epoch_cost_movie.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def _graph_contrastive_loss(Z, Q, temperature: float):
    """ConLE's contrastive loss through autograd's graph (masked logits, shifted exps)."""
    import torch
    import torch.nn.functional as F

    n = Z.shape[0]
    views = F.normalize(torch.cat([Z, Q], dim=0), dim=1)
    positive = (views[:n] * views[n:]).sum(dim=1) / temperature
    logits = (views @ views.T).sub(1.0).mul_(1.0 / temperature)
    for block in (logits, logits[:n, n:], logits[n:, :n]):
        block.diagonal().fill_(float("-inf"))
    denominator = torch.log(torch.exp(logits).sum(dim=1)) + 1.0 / temperature
    return (denominator.sum() - 2.0 * positive.sum()) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import numpy as np
    import torch

    from ldlkit.datasets import load_dataset
    from ldlkit.enhancement import ConLE, _conle, binarize
    from ldlkit.model_selection import EnhancementProtocol

    torch.set_num_threads(1)
    X, D = load_dataset(args.dataset, return_X_y=True, download=False)
    cv = EnhancementProtocol(n_splits=2, n_repeats=1, random_state=0)
    train, test = next(iter(cv.split(X, D)))
    rows = cv.enhancement_rows(train, test)
    X, logical = X[rows], binarize(D)[rows]
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    Lt = torch.as_tensor(logical, dtype=torch.float32)
    n, batch = len(Xt), 1024

    hand_written = _conle.contrastive_loss
    graph = _graph_contrastive_loss

    def epochs(contrastive: bool, loss=hand_written) -> float:
        _conle.contrastive_loss = loss
        torch.manual_seed(0)
        est = ConLE(contrastive=contrastive)
        module = est._build(X.shape[1], logical.shape[1])
        opt = torch.optim.SGD(module.parameters(), lr=0.1)
        goal = torch.softmax(Lt, 1)
        start = time.process_time()
        for _ in range(args.epochs):
            order = torch.randperm(n)
            for i in range(0, n, batch):
                idx = order[i : i + batch]
                opt.zero_grad()
                est._loss(module, Xt[idx], Lt[idx], goal[idx]).backward()
                opt.step()
        _conle.contrastive_loss = hand_written
        return (time.process_time() - start) / args.epochs

    grads = []
    for loss in (hand_written, graph):
        _conle.contrastive_loss = loss
        torch.manual_seed(0)
        module = ConLE()._build(X.shape[1], logical.shape[1])
        ConLE()._loss(module, Xt[:batch], Lt[:batch]).backward()
        grads.append(torch.cat([p.grad.flatten() for p in module.parameters()]))
    _conle.contrastive_loss = hand_written
    gradient_difference = float((grads[0] - grads[1]).abs().max() / grads[1].abs().max())

    rounds = []
    for _ in range(args.rounds):
        rounds.append(
            {
                "full_autograd_graph": epochs(True, graph),
                "full": epochs(True),
                "no_contrastive": epochs(False),
            }
        )
        print(rounds[-1], flush=True)
    full = float(np.median([r["full"] for r in rounds]))
    rest = float(np.median([r["no_contrastive"] for r in rounds]))
    plain_full = float(np.median([r["full_autograd_graph"] for r in rounds]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": f"ConLE CPU seconds per epoch on {args.dataset} fold 0, batch {batch}",
                "script": "benchmarks/conle_epoch_cost.py",
                "note": "loaded shared 2-core machine; read the ratio, not absolute seconds",
                "n_rows": n,
                "n_features": int(X.shape[1]),
                "rounds": rounds,
                "median_full_seconds_per_epoch": full,
                "median_without_contrastive_seconds_per_epoch": rest,
                "median_full_autograd_graph_seconds_per_epoch": plain_full,
                "contrastive_share": (full - rest) / full,
                "contrastive_share_autograd_graph": (plain_full - rest) / plain_full,
                "speedup_hand_written_whole_epoch": plain_full / full,
                "gradient_max_relative_difference": gradient_difference,
                "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
                "load_average": os.getloadavg(),
                "torch_threads": 1,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
