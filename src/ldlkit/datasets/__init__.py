"""Benchmark datasets: registry of public LDL datasets, file loaders, artificial toy data."""

from ._artificial import make_artificial
from ._loaders import (
    DATA_ENV,
    DatasetNotFoundError,
    find_dataset_file,
    get_data_home,
    load_dataset,
    load_file,
    sha256sum,
)
from ._registry import DATASETS, DatasetInfo, get_dataset_info, list_datasets, register_dataset

__all__ = [
    "DATA_ENV",
    "DATASETS",
    "DatasetInfo",
    "DatasetNotFoundError",
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
