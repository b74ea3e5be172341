"""Issue 13: your own data everywhere, "artificial" as a dataset, and file-system faults."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ldlkit.datasets import (
    DATA_ENV,
    DatasetNotFoundError,
    dataset_info,
    find_dataset_file,
    get_dataset_info,
    list_datasets,
    load_dataset,
    load_file,
    make_artificial,
)

SJAFFE = Path(os.environ.get(DATA_ENV, "/nonexistent").split(os.pathsep)[0]) / "SJAFFE.mat"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def own_files(folder: Path, n: int = 12):
    """The same data as .mat, .npz and .csv (label_ header) in ``folder``."""
    X, D = make_artificial(n, random_state=1)
    folder.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(folder / "mymat.mat", {"features": X, "labels": D})
    np.savez(folder / "mynpz.npz", features=X, labels=D)
    header = "f1,f2,f3,label_a,label_b,label_c"
    np.savetxt(folder / "mycsv.csv", np.hstack([X, D]), delimiter=",", header=header, comments="")
    return X, D


# --- artificial -----------------------------------------------------------------------------------
def test_artificial_is_a_dataset_everywhere(isolated):
    assert "artificial" in list_datasets()
    info = get_dataset_info("artificial")
    assert info.builtin and info.shape == "500×3×3"
    assert dataset_info("Artificial") is info
    bunch = load_dataset("artificial")
    X, D = make_artificial(500, random_state=0)  # what `ldlkit run` uses by default
    np.testing.assert_array_equal(bunch.features, X)
    np.testing.assert_array_equal(bunch.labels, D)
    assert bunch.name == "artificial" and bunch.path is None
    assert find_dataset_file("artificial") is None  # generated, nothing on disk


# --- your own data --------------------------------------------------------------------------------
@pytest.mark.parametrize("file", ["mymat.mat", "mynpz.npz", "mycsv.csv"])
def test_own_file_by_path_and_by_name_in_a_data_folder(isolated, monkeypatch, file):
    X, D = own_files(isolated / "own")
    relative = f"own/{file}"
    for given in (relative, isolated / relative):
        bunch = load_dataset(given)
        np.testing.assert_allclose(bunch.features, X)
        np.testing.assert_allclose(bunch.labels, D)
        assert bunch.name == Path(file).stem
    assert dataset_info(relative).shape == "12×3×3"
    assert dataset_info(relative).path == relative
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset(Path(file).stem)  # not in a data folder yet
    monkeypatch.setenv(DATA_ENV, str(isolated / "own"))
    assert load_dataset(Path(file).stem).features.shape == (12, 3)
    assert load_dataset(file).features.shape == (12, 3)  # a bare file name in a data folder
    assert find_dataset_file(Path(file).stem) == isolated / "own" / file
    assert dataset_info(Path(file).stem).n_labels == 3


def test_csv_label_columns_by_header_or_n_labels(isolated):
    X, D = own_files(isolated)
    assert load_file("mycsv.csv").label_names == ["a", "b", "c"]
    np.savetxt("plain.csv", np.hstack([X, D]), delimiter=",")
    with pytest.raises(ValueError, match=r"plain\.csv: cannot tell which columns are labels"):
        load_dataset("plain.csv")
    assert load_dataset("plain.csv", n_labels=3).labels.shape == (12, 3)
    with pytest.raises(ValueError, match=r"3 label columns \(named label_...\), expected 2"):
        load_file("mycsv.csv", n_labels=2)


def test_missing_own_file_and_misspelled_names(isolated):
    with pytest.raises(DatasetNotFoundError, match=r"own/nothing\.mat does not exist"):
        load_dataset("own/nothing.mat")
    with pytest.raises(ValueError, match=r"unknown dataset 'SJAFE'; did you mean 'SJAFFE'\?"):
        load_dataset("SJAFE")
    with pytest.raises(ValueError, match="did you mean 'SJAFFE'"):
        get_dataset_info("SJAFE")
    with pytest.raises(ValueError, match="did you mean 'artificial'"):
        load_dataset("artifical")


# --- LDLKIT_DATA and the search path --------------------------------------------------------------
def test_ldlkit_data_naming_a_file_or_a_missing_folder_warns(isolated, monkeypatch):
    (isolated / "afile").write_text("x")
    env = os.pathsep.join([str(isolated / "afile"), str(isolated / "missing")])
    monkeypatch.setenv(DATA_ENV, env)
    with pytest.warns(UserWarning) as caught:
        with pytest.raises(DatasetNotFoundError) as info:
            load_dataset("SJAFFE", download=False)
    texts = [str(w.message) for w in caught]
    assert any(f"{isolated / 'afile'}, which is a file, not a folder" in t for t in texts)
    assert any(f"{isolated / 'missing'}, which does not exist" in t for t in texts)
    message = str(info.value)
    # folders listed one by one (comma-separated), each with what is wrong with it
    assert f"{isolated / 'afile'} (is a file, not a folder), {isolated / 'missing'} (does not" in (
        message
    )
    assert env not in message


@pytest.mark.skipif(not SJAFFE.is_file(), reason="needs SJAFFE.mat in LDLKIT_DATA")
def test_a_folder_or_a_symlink_loop_named_like_the_file_is_skipped(isolated, monkeypatch):
    first, second = isolated / "first", isolated / "second"
    (first / "SJAFFE.mat").mkdir(parents=True)
    (first / "sjaffe.npz").symlink_to(first / "sjaffe.npz")  # a loop
    second.mkdir()
    (second / "SJAFFE.mat").symlink_to(SJAFFE)
    monkeypatch.setenv(DATA_ENV, os.pathsep.join([str(first), str(second)]))
    with pytest.warns(UserWarning) as caught:
        bunch = load_dataset("SJAFFE")
    assert bunch.features.shape == (213, 243)
    assert bunch.path == str(second / "SJAFFE.mat")
    texts = " | ".join(str(w.message) for w in caught)
    assert f"{first / 'SJAFFE.mat'} is a folder, not a dataset file; it is skipped" in texts
    assert f"{first / 'sjaffe.npz'} is a symbolic link loop; it is skipped" in texts


def test_symlink_loop_given_as_a_path_is_one_clear_error(isolated):
    loop = isolated / "loop.mat"
    loop.symlink_to(loop)
    with pytest.raises(FileNotFoundError, match=r"loop\.mat is a symbolic link loop"):
        load_dataset(str(loop))
    with pytest.raises(FileNotFoundError, match=r"loop\.mat is a symbolic link loop"):
        load_file(loop)


# --- loader messages name the file ---------------------------------------------------------------
def test_five_label_columns_where_six_are_registered(isolated, monkeypatch):
    X, _ = make_artificial(20, random_state=0)
    D = np.random.default_rng(0).dirichlet(np.ones(6), size=20)[:, :5]  # a column lost
    (isolated / "data").mkdir()
    scipy.io.savemat(isolated / "data" / "SJAFFE.mat", {"features": X, "labels": D})
    monkeypatch.setenv(DATA_ENV, str(isolated / "data"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="SJAFFE.mat has 5 label columns, expected 6") as info:
            load_dataset("SJAFFE")
    assert "sums to" not in str(info.value)


def test_row_mismatch_names_the_file(isolated):
    X, D = make_artificial(6, random_state=0)
    np.savez("short.npz", features=X, labels=D[:5])
    with pytest.raises(ValueError, match=r"short\.npz: the features have 6 rows but the labels"):
        load_dataset("short.npz")
