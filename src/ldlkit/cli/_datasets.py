"""``ldlkit datasets list|info``."""

from __future__ import annotations

import argparse
import os

from ._common import (
    DATA_ENV,
    _add_data_home,
    _formatter,
    _looks_like_path,
)


def _registered(name: str) -> bool:
    from ..datasets import get_dataset_info

    try:
        get_dataset_info(name)
    except ValueError:
        return False
    return True


def _datasets_list(args: argparse.Namespace) -> int:
    from ..datasets import find_dataset_file, get_dataset_info, list_datasets
    from ..datasets._loaders import _search_dirs

    rows = []
    for name in list_datasets():
        info = get_dataset_info(name)
        path = find_dataset_file(name, args.data_home)
        rows.append((name, info.shape, "yes" if path else "no", str(path) if path else ""))
    widths = [max(len(r[i]) for r in rows + [("name", "n×d×L", "local", "path")]) for i in range(4)]
    header = ("name", "n×d×L", "local", "path")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    searched = ", ".join(str(d) for d in _search_dirs(args.data_home))
    print(f"\nsearched, in order: {searched} (set {DATA_ENV} to add folders)")
    print("your own file: give its path wherever a dataset name is accepted (.mat, .npz, .csv)")
    return 0


def _datasets_info(args: argparse.Namespace) -> int:
    import numpy as np

    from ..datasets import find_dataset_file, get_dataset_info, load_dataset, load_file

    name = args.name
    info = None
    if _looks_like_path(name):
        bunch = load_file(name, renormalize=True)
        path = name
        print(f"{bunch.name}: {bunch.description}")
    elif name.lower() == "artificial" and not _registered(name):
        from types import SimpleNamespace

        from ..datasets import make_artificial

        X, D = make_artificial(500, random_state=0)
        bunch = SimpleNamespace(features=X, labels=D, row_sums=D.sum(axis=1), label_names=None)
        path = None
        print("artificial: the embedded toy data of Geng 2016 (500 rows, seed 0), generated")
    else:
        info = get_dataset_info(name)
        print(f"{info.name}: {info.description}")
        print(f"registered shape (n×d×L): {info.shape}")
        print(f"source: {info.source}")
        if info.reference:
            print(f"reference: {info.reference}")
        if info.aliases:
            print(f"aliases: {', '.join(info.aliases)}")
        path = find_dataset_file(info.name, args.data_home)
        bunch = None
        if path is None and info.name.lower() != "artificial":
            print("local file: not found (`ldlkit datasets list` shows the folders searched)")
            return 0
        bunch = load_dataset(info.name, data_home=args.data_home, renormalize=True, download=False)
    raw = bunch.row_sums
    X, D = bunch.features, bunch.labels
    if path is not None:
        print(f"local file: {path}")
    print(f"features: {X.shape[0]} rows × {X.shape[1]} columns")
    print(f"feature range: [{X.min():.4g}, {X.max():.4g}]")
    off = np.abs(raw - 1.0) > 1e-3
    print(
        f"rows not summing to 1 (|sum-1| > 1e-3): {int(off.sum())}"
        + (f" (sums from {raw.min():.4g} to {raw.max():.4g})" if off.any() else "")
    )
    names = bunch.label_names or [f"label {j}" for j in range(D.shape[1])]
    print("label statistics (degree mean, std, share of rows where it is the largest):")
    dominant = np.bincount(D.argmax(axis=1), minlength=D.shape[1]) / D.shape[0]
    for j, label in enumerate(names):
        print(f"  {label:>12}: {D[:, j].mean():.4f} ± {D[:, j].std():.4f}   {dominant[j]:.3f}")
    print(f"zero degrees: {100 * (D == 0).mean():.1f} %")
    return 0


def _add_datasets(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "datasets",
        help="list and inspect benchmark datasets",
        description=(
            f"List the registered benchmark datasets and inspect one. Files are looked for in the "
            f"folders of ${DATA_ENV} (separated by '{os.pathsep}'), then --data-home, then the "
            "user cache."
        ),
        formatter_class=_formatter,
        epilog="examples:\n  ldlkit datasets list\n  ldlkit datasets info artificial\n",
    )
    inner = parser.add_subparsers(dest="datasets_command", metavar="{list,info}", required=True)
    p_list = inner.add_parser(
        "list",
        help="registered datasets, their shapes, and which are local",
        description="Registered datasets, their shapes, and which files were found locally.",
    )
    _add_data_home(p_list)
    p_list.set_defaults(handler=_datasets_list)
    p_info = inner.add_parser(
        "info",
        help="shape and label statistics of one dataset",
        description="Shape and label statistics of a registered dataset or of a file of yours.",
        formatter_class=_formatter,
        epilog=(
            "examples:\n  ldlkit datasets info artificial\n"
            "  ldlkit datasets info mydata.mat           # a file of your own\n"
        ),
    )
    p_info.add_argument(
        "name", metavar="NAME", help="a registered name or the path of a .mat, .npz or .csv file"
    )
    _add_data_home(p_info)
    p_info.set_defaults(handler=_datasets_info)
