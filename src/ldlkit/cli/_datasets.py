"""``ldlkit datasets list|info|fetch``."""

from __future__ import annotations

import argparse
import os

from ._common import (
    DATA_ENV,
    DATA_HOME_ENV,
    DATA_URL_ENV,
    UserError,
    _add_data_home,
    _formatter,
    _load_data,
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

    from ..datasets import dataset_url, find_dataset_file, get_dataset_info

    name = args.name
    info = None
    if _looks_like_path(name):
        # the loader every command uses; renormalised here so that the row sums can be shown
        bunch = _load_data(name, labels=args.labels, renormalize=True)
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
        url = dataset_url(info)
        if url is not None:
            check = "sha256" if info.sha256 else f"git blob SHA-1 {info.git_sha1}..."
            print(f"download: {url} (verified by {check})")
        if path is None and info.name.lower() != "artificial":
            print(
                "local file: not found (`ldlkit datasets list` shows the folders searched"
                + (f"; `ldlkit datasets fetch {info.name}` downloads it)" if url else ")")
            )
            return 0
        bunch = _load_data(info.name, data_home=args.data_home, renormalize=True, download=False)
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


def _verified_copy(info, data_home):
    """A file of ``info`` on disk that passes the registry's check, or None."""
    from ..datasets import find_dataset_file, verify_file

    path = find_dataset_file(info.name, data_home)
    if path is None or path.suffix.lower() != ".mat" or verify_file(path, info) is not None:
        return None
    return path


def _datasets_fetch(args: argparse.Namespace) -> int:
    import sys

    from ..datasets import (
        DownloadError,
        dataset_url,
        fetch_dataset,
        get_dataset_info,
        list_datasets,
    )

    if args.all == bool(args.names):
        raise UserError(
            "give the datasets to fetch (`ldlkit datasets fetch NAME...`) or --all, not both."
            if args.all
            else "name the datasets to fetch (`ldlkit datasets list` shows them) or pass --all."
        )
    infos = [get_dataset_info(name) for name in args.names]  # unknown names: one line, first
    if args.all:
        infos = [get_dataset_info(name) for name in list_datasets()]
    infos = [info for info in infos if not info.builtin]
    failed = 0
    for info in infos:
        present = None if args.force else _verified_copy(info, args.data_home)
        if present is not None:
            print(f"{info.name}: already in {present} (verified)")
            continue
        url = dataset_url(info)
        try:
            path = fetch_dataset(
                info.name,
                data_home=args.data_home,
                force=args.force,
                timeout=args.timeout,
                retries=args.retries,
                progress=not args.quiet and None,
            )
        except DownloadError as exc:
            print(f"ldlkit: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        check = "sha256" if info.sha256 else "git blob SHA-1" if info.git_sha1 else "unverified"
        print(f"{info.name}: downloaded from {url} to {path} ({check} checked)")
    if failed:
        print(f"ldlkit: error: {failed} of {len(infos)} downloads failed.", file=sys.stderr)
        return 2
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
        epilog=(
            "examples:\n  ldlkit datasets list\n  ldlkit datasets info artificial\n"
            "  ldlkit datasets fetch SJAFFE Movie\n"
        ),
    )
    inner = parser.add_subparsers(
        dest="datasets_command", metavar="{list,info,fetch}", required=True
    )
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
    p_info.add_argument(
        "--labels",
        type=int,
        default=None,
        metavar="N",
        help="for a CSV without a label_<name> header: the last N columns are the label degrees",
    )
    _add_data_home(p_info)
    p_info.set_defaults(handler=_datasets_info)
    p_fetch = inner.add_parser(
        "fetch",
        help="download registered datasets into the cache and verify them",
        description=(
            "Download registered datasets' files into --data-home or the user cache "
            f"(${DATA_HOME_ENV}, else $XDG_CACHE_HOME/ldlkit), each verified against its "
            "registered SHA-256 (or git blob SHA-1 prefix) before it is kept. Files come from "
            f"${DATA_URL_ENV} (a mirror, or file:///folder) when set, else from the public "
            "collection. A verified copy already on disk (in the data folders, --data-home or the "
            "cache) is used as it is; --force downloads again."
        ),
        formatter_class=_formatter,
        epilog=(
            "examples:\n  ldlkit datasets fetch SJAFFE M2B\n\n"
            "Every registered file: `ldlkit datasets fetch --all`. From a mirror or a local copy "
            f"of the collection:\n  {DATA_URL_ENV}=file:///srv/ldl-mirror/ ldlkit datasets "
            "fetch Movie\n"
        ),
    )
    p_fetch.add_argument("names", nargs="*", metavar="NAME", help="registered names or aliases")
    p_fetch.add_argument("--all", action="store_true", help="every registered dataset")
    p_fetch.add_argument(
        "--force", action="store_true", help="download again even when a verified copy is there"
    )
    p_fetch.add_argument(
        "--timeout", type=float, default=60.0, metavar="S",
        help="seconds to wait for the connection and for each block of data (default 60)",
    )  # fmt: skip
    p_fetch.add_argument(
        "--retries", type=int, default=3, metavar="N",
        help="further attempts after a transfer that broke off (default 3)",
    )  # fmt: skip
    p_fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    p_fetch.add_argument(
        "--data-home", default=None, metavar="DIR",
        help="the folder to download into (default: the user cache; created if missing)",
    )  # fmt: skip
    p_fetch.set_defaults(handler=_datasets_fetch)
