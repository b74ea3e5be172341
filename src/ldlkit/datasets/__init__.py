"""Datasets: the registry of public LDL benchmarks, the embedded artificial toy data, and your own
files (.mat, .npz, .csv) given by path or by name in a data folder."""

from ._artificial import make_artificial
from ._loaders import (
    CSV_LABEL_PREFIX,
    DATA_ENV,
    DatasetNotFoundError,
    dataset_info,
    find_dataset_file,
    get_data_home,
    load_dataset,
    load_file,
    sha256sum,
)
from ._registry import (
    ARTIFICIAL_ROWS,
    ARTIFICIAL_SEED,
    DATASETS,
    DatasetInfo,
    get_dataset_info,
    list_datasets,
    register_dataset,
)

__all__ = [
    "ARTIFICIAL_ROWS",
    "ARTIFICIAL_SEED",
    "CSV_LABEL_PREFIX",
    "DATA_ENV",
    "DATASETS",
    "DatasetInfo",
    "DatasetNotFoundError",
    "dataset_info",
    "find_dataset_file",
    "get_data_home",
    "get_dataset_info",
    "list_datasets",
    "load_dataset",
    "load_file",
    "make_artificial",
    "register_dataset",
    "sha256sum",
]
