"""Datasets: the registry of public LDL benchmarks (downloaded by name and verified), the
embedded artificial toy data, and your own files (.mat, .npz, .csv) given by path or by name in a
data folder. :func:`load_dataset` is the one loader every ``ldlkit`` command reads data with."""

from ._artificial import make_artificial
from ._download import (
    DATA_HOME_ENV,
    DATA_URL_ENV,
    DEFAULT_BASE_URL,
    ChecksumError,
    DownloadError,
    clear_data_home,
    dataset_url,
    git_blob_sha1,
    verify_file,
)
from ._loaders import (
    CSV_LABEL_PREFIX,
    DATA_ENV,
    DatasetFormatError,
    DatasetNotFoundError,
    dataset_info,
    fetch_dataset,
    find_dataset_file,
    get_data_home,
    load_dataset,
    load_features,
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
    "ChecksumError",
    "DATA_ENV",
    "DATA_HOME_ENV",
    "DATA_URL_ENV",
    "DATASETS",
    "DEFAULT_BASE_URL",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DownloadError",
    "clear_data_home",
    "dataset_info",
    "dataset_url",
    "fetch_dataset",
    "find_dataset_file",
    "get_data_home",
    "get_dataset_info",
    "git_blob_sha1",
    "list_datasets",
    "load_dataset",
    "load_features",
    "load_file",
    "make_artificial",
    "register_dataset",
    "sha256sum",
    "verify_file",
]
