from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ldlkit.datasets import (
    DATA_ENV,
    DATASETS,
    DatasetInfo,
    DatasetNotFoundError,
    _registry,
    find_dataset_file,
    get_dataset_info,
    list_datasets,
    load_dataset,
    load_file,
    make_artificial,
    register_dataset,
)

#: The files provided beside the checkout (their SHA-256 are in its SHA256SUMS).
PROVIDED = [
    "SJAFFE", "SBU_3DFE", "Movie", "M2B", "SCUT_FBP", "emotion6", "Yeast_alpha", "Yeast_cdc",
    "Yeast_diau", "Yeast_elu", "Yeast_heat", "Yeast_spo", "Yeast_spo5", "Yeast_spoem",
]  # fmt: skip


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No LDLKIT_DATA and an empty user cache: only what the test puts in place is found."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def scratch_dataset():
    """Register a throw-away dataset entry and remove it afterwards."""
    added = []

    def _register(info: DatasetInfo):
        register_dataset(info, overwrite=True)
        added.append(info)
        return info

    yield _register
    for info in added:
        DATASETS.pop(info.name, None)
        for alias in (info.name, *info.aliases):
            _registry._BY_KEY.pop(_registry._key(alias), None)


def save_mat(path: Path, X, D, **extra):
    scipy.io.savemat(path, {"features": X, "labels": D, **extra})
    return path


# --- the real files ----------------------------------------------------------------------------
def test_sjaffe_shapes(load_real):
    X, D = load_real("SJAFFE")
    assert X.shape == (213, 243) and D.shape == (213, 6)
    np.testing.assert_allclose(D.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("name", PROVIDED)
def test_every_provided_file_matches_its_registry_entry(name, load_real):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checksum mismatch warning would fail here
        X, D = load_real(name)
    info = get_dataset_info(name)
    assert X.shape == (info.n_samples, info.n_features)
    assert D.shape == (info.n_samples, info.n_labels)


def test_bunch_fields(load_real):
    load_real("Movie")  # skip/fail consistently when the files are absent
    bunch = load_dataset("movie")
    assert bunch.name == "Movie"
    assert bunch.label_names == ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    assert bunch.features.shape == (7755, 1869)
    assert Path(bunch.path).name == "Movie.mat"
    assert bunch.row_sums.shape == (7755,)


# --- registry ----------------------------------------------------------------------------------
def test_names_are_case_and_separator_insensitive():
    assert get_dataset_info("scut-fbp").name == "SCUT_FBP"
    assert get_dataset_info("Emotion6").name == "emotion6"
    assert get_dataset_info("natural scene").name == "Natural_Scene"


def test_registry_knows_datasets_not_provided_here():
    for name in (
        "Natural_Scene",
        "Human_Gene",
        "Twitter_LDL",
        "Flickr_LDL",
        "RAF_ML",
        "fbp5500",
        "Yeast_cold",
        "Yeast_dtt",
        "Music",
        "Painting",
        "FG-Net",
    ):
        assert name in list_datasets()
    assert get_dataset_info("Human_Gene").shape == "17892×36×68"


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(ValueError, match="unknown dataset 'nope'.*SJAFFE"):
        get_dataset_info("nope")


def test_register_refuses_silent_overwrite(scratch_dataset):
    scratch_dataset(DatasetInfo("ScratchA", 3, 2, 2, "scratch"))
    with pytest.raises(ValueError, match="already registered"):
        register_dataset(DatasetInfo("ScratchA", 3, 2, 2, "again"))
    with pytest.raises(ValueError, match="already used by 'Movie'"):
        register_dataset(DatasetInfo("ScratchB", 3, 2, 2, "x", aliases=("movie",)))


# --- finding files -------------------------------------------------------------------------------
def test_missing_dataset_offline_is_one_clear_error(isolated, monkeypatch):
    with pytest.raises(
        DatasetNotFoundError,
        match=r"'SJAFFE' was not found locally and downloading is disabled \(fetch it from "
        r"\S+/SJAFFE\.mat with fetch_dataset\('SJAFFE'\) or `ldlkit datasets fetch SJAFFE`\)"
        r".*LDLKIT_DATA",
    ):
        load_dataset("SJAFFE", download=False)
    mirror = (isolated / "empty-mirror").as_uri()
    monkeypatch.setenv("LDLKIT_DATA_URL", mirror)
    expected = f"could not download SJAFFE from {mirror}/SJAFFE"
    with pytest.raises(DatasetNotFoundError, match=expected):
        load_dataset("SJAFFE")


def test_search_order_env_then_data_home_then_cache(isolated, monkeypatch):
    X, D = make_artificial(10, random_state=0)
    env_dir, home_dir, cache_dir = (isolated / n for n in ("env", "home", "cache/ldlkit"))
    for folder, rows in ((env_dir, 4), (home_dir, 5), (cache_dir, 6)):
        folder.mkdir(parents=True)
        np.savez(
            folder / "M2B.npz",
            features=X[:rows],
            labels=np.tile(D[:rows], (1, 2))[:, :5]
            / np.tile(D[:rows], (1, 2))[:, :5].sum(1, keepdims=True),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # these copies do not match the registered checksum
        assert load_dataset("M2B").features.shape[0] == 6
        assert load_dataset("M2B", data_home=home_dir).features.shape[0] == 5
        monkeypatch.setenv(DATA_ENV, str(env_dir))
        assert load_dataset("M2B", data_home=home_dir).features.shape[0] == 4


def test_file_names_ignore_case_and_separators(isolated, monkeypatch):
    X, D = make_artificial(6, random_state=0)
    folder = isolated / "data"
    folder.mkdir()
    save_mat(
        folder / "scut-fbp.MAT",
        X,
        np.tile(D, (1, 2))[:, :5] / np.tile(D, (1, 2))[:, :5].sum(1, keepdims=True),
    )
    np.savez(folder / "Yeast spo5.npz", features=X, labels=D)
    monkeypatch.setenv(DATA_ENV, str(folder))
    assert find_dataset_file("SCUT_FBP") == folder / "scut-fbp.MAT"
    assert find_dataset_file("yeast_spo5") == folder / "Yeast spo5.npz"
    assert find_dataset_file("Yeast_spo") is None  # a prefix is not a match


def test_checksum_mismatch_warns(isolated, monkeypatch):
    X, D = make_artificial(8, random_state=0)
    folder = isolated / "data"
    folder.mkdir()
    save_mat(folder / "Yeast_spo5.mat", X, D)
    monkeypatch.setenv(DATA_ENV, str(folder))
    with pytest.warns(UserWarning) as caught:
        bunch = load_dataset("Yeast_spo5")
    assert bunch.labels.shape == (8, 3)
    assert len(caught) == 1  # one warning for both differences
    message = str(caught[0].message)
    assert "is not the registered copy of Yeast_spo5" in message
    assert "checksum mismatch" in message
    assert "holds 8 rows × 3 features, not 2465 × 24" in message


def test_other_version_of_an_unverified_dataset_warns(isolated, monkeypatch):
    # Natural_Scene has no registered checksum: only the shape tells another version apart.
    X, D = make_artificial(12, random_state=0)
    D9 = np.tile(D, (1, 3)) / 3
    folder = isolated / "data"
    folder.mkdir()
    save_mat(folder / "Natural_Scene.mat", X, D9)
    monkeypatch.setenv(DATA_ENV, str(folder))
    with pytest.warns(UserWarning, match="holds 12 rows × 3 features, not 2000 × 294"):
        assert load_dataset("natural scene").labels.shape == (12, 9)


def test_truncated_registered_file_is_one_clear_error(isolated, monkeypatch):
    X, D = make_artificial(300, random_state=0)
    folder = isolated / "data"
    folder.mkdir()
    full = save_mat(isolated / "full.mat", X, D)
    (folder / "SJAFFE.mat").write_bytes(full.read_bytes()[:1000])
    monkeypatch.setenv(DATA_ENV, str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"truncated.*checksum mismatch.*fresh copy"):
            load_dataset("SJAFFE")


def test_wrong_number_of_labels_for_registered_name(isolated, monkeypatch):
    X, D = make_artificial(8, random_state=0)
    folder = isolated / "data"
    folder.mkdir()
    save_mat(folder / "Movie.mat", X, D)
    monkeypatch.setenv(DATA_ENV, str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one clear error, no checksum warning beside it
        with pytest.raises(ValueError, match=r"Movie\.mat has 3 label columns, expected 5 \("):
            load_dataset("Movie")


def test_download_verifies_checksum(isolated, scratch_dataset):
    X, D = make_artificial(12, random_state=0)
    source = save_mat(isolated / "remote.mat", X, D)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    scratch_dataset(DatasetInfo("Remote", 12, 3, 3, "toy", sha256=digest, url=source.as_uri()))
    with pytest.raises(DatasetNotFoundError, match="downloading is disabled"):
        load_dataset("Remote", download=False)
    bunch = load_dataset("Remote")
    np.testing.assert_allclose(bunch.features, X)
    assert Path(bunch.path).parent == isolated / "cache" / "ldlkit"

    scratch_dataset(DatasetInfo("Tampered", 12, 3, 3, "toy", sha256="0" * 64, url=source.as_uri()))
    with pytest.raises(ValueError, match="checksum .* expected 0000"):
        load_dataset("Tampered")
    assert not list((isolated / "cache" / "ldlkit").glob("Tampered*"))


def test_download_without_a_checksum_warns_with_the_digest(isolated, scratch_dataset):
    X, D = make_artificial(5, random_state=0)
    source = save_mat(isolated / "remote.mat", X, D)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    scratch_dataset(DatasetInfo("Unsigned", 5, 3, 3, "toy", url=source.as_uri()))
    with pytest.warns(UserWarning, match=f"could not be verified; its SHA-256 is {digest}"):
        assert load_dataset("Unsigned").features.shape == (5, 3)


def test_unreachable_download_says_where_to_put_the_file(isolated, scratch_dataset):
    missing = (isolated / "nowhere.mat").as_uri()
    scratch_dataset(DatasetInfo("Gone", 1, 1, 2, "toy", url=missing))
    with pytest.raises(DatasetNotFoundError, match=r"could not download.*put it in one of"):
        load_dataset("Gone")


# --- reading files -----------------------------------------------------------------------------
def test_rows_not_summing_to_one_fail_unless_renormalized(tmp_path):
    X, D = make_artificial(10, random_state=0)
    D = D.copy()
    D[3] *= 0.57
    path = save_mat(tmp_path / "fg.mat", X, D)
    with pytest.raises(ValueError, match=r"row 3 sums to 0\.57.*renormalize=True"):
        load_file(path)
    bunch = load_file(path, renormalize=True)
    np.testing.assert_allclose(bunch.labels.sum(axis=1), 1.0)
    assert bunch.row_sums[3] == pytest.approx(0.57)


def test_truncated_mat_file(tmp_path):
    X, D = make_artificial(50, random_state=0)
    path = save_mat(tmp_path / "full.mat", X, D)
    cut = tmp_path / "cut.mat"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="could not read .*cut.mat.*truncated"):
        load_file(cut)
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"not a matlab file at all" * 10)
    with pytest.raises(ValueError, match="could not read"):
        load_file(garbage)


def test_wrong_keys_are_listed(tmp_path):
    X, D = make_artificial(5, random_state=0)
    path = tmp_path / "keys.mat"
    scipy.io.savemat(path, {"inputs": X, "labels": D})
    with pytest.raises(ValueError, match=r"no feature array.*found \['inputs', 'labels'\]"):
        load_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_file(tmp_path / "absent.mat")
    (tmp_path / "folder.mat").mkdir()
    with pytest.raises(FileNotFoundError, match="is a folder, not a dataset file"):
        load_file(tmp_path / "folder.mat")


def test_transposed_labels_are_a_row_count_error(tmp_path):
    X, D = make_artificial(6, random_state=0)
    path = save_mat(tmp_path / "t.mat", X, D.T.copy())
    with pytest.raises(ValueError, match=r"t\.mat: the features have 6 rows but the labels have 3"):
        load_file(path)


def test_npz_with_object_arrays_or_a_single_array(tmp_path):
    X, D = make_artificial(4, random_state=0)
    path = tmp_path / "obj.npz"
    np.savez(path, features=np.array([[1, "a"]] * 4, dtype=object), labels=D)
    with pytest.raises(ValueError, match=r"could not read .*obj.npz: .*np.savez"):
        load_file(path)
    single = tmp_path / "single.npz"
    with open(single, "wb") as fh:
        np.save(fh, X)
    with pytest.raises(ValueError, match="single array, not named arrays"):
        load_file(single)


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_file(path)


def test_npz_round_trip_and_truncation(tmp_path):
    X, D = make_artificial(7, random_state=0)
    path = tmp_path / "toy.npz"
    np.savez(path, X=X, D=D)
    got_X, got_D = load_file(path, return_X_y=True)
    np.testing.assert_array_equal(got_X, X)
    np.testing.assert_array_equal(got_D, D)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="could not read"):
        load_file(cut)


def test_csv_with_and_without_header(tmp_path):
    X, D = make_artificial(6, random_state=0)
    table = np.hstack([X, D])
    plain = tmp_path / "plain.csv"
    np.savetxt(plain, table, delimiter=",")
    got_X, got_D = load_file(plain, n_labels=3, return_X_y=True)
    np.testing.assert_allclose(got_X, X)
    np.testing.assert_allclose(got_D, D)
    headed = tmp_path / "headed.csv"
    np.savetxt(headed, table, delimiter=",", header="f1,f2,f3,a,b,c", comments="")
    assert load_file(headed, n_labels=3).label_names == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"plain\.csv: cannot tell which columns are labels"):
        load_file(plain)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("", "has no data rows"),
        ("f1,f2,a,b\n", "has no data rows"),
        (
            "0.1,high,0.5,0.5\n0.2,0.3,0.5,0.5\n",
            r"line 1 mixes numbers and text \(\['high'\] are not numbers",
        ),
        ("f1,f2,a,b\n0.1,0.2,0.5,0.5\n0.3,0.4,0.5\n", "could not read .* as numeric CSV"),
        ("f1,a,b\n0.1,0.2,0.5,0.5\n", "3 column names in its header but 4 columns"),
        ("f1,f2,a,b\n0.1,x,0.5,0.5\n", "could not read .* as numeric CSV"),
        ("f1,f2,a,b\n0.1,0.2,0.5,0.5\n0.1,nan,0.5,0.5\n", "contains NaN at row 1, column 1"),
        ("f1,f2,a,b\n0.1,0.2,0.5,0.6\n", r"row 0 sums to 1\.1"),
    ],
    ids=[
        "empty",
        "header only",
        "text in a data row",
        "truncated row",
        "short header",
        "text cell",
        "nan",
        "sum",
    ],
)
def test_bad_csv_files(tmp_path, content, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "input contained no data" must not leak
        with pytest.raises(ValueError, match=pattern):
            load_file(path, n_labels=2)


def test_mismatched_rows_in_file(tmp_path):
    X, D = make_artificial(6, random_state=0)
    path = tmp_path / "bad.npz"
    np.savez(path, features=X, labels=D[:5])
    with pytest.raises(ValueError, match=r"bad\.npz: the features have 6 rows but the labels"):
        load_file(path)


# --- artificial data ----------------------------------------------------------------------------
def test_make_artificial_is_seeded_and_on_the_simplex():
    X1, D1 = make_artificial(100, random_state=3)
    X2, D2 = make_artificial(100, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(D1, D2)
    assert X1.shape == (100, 3) and D1.shape == (100, 3)
    assert (np.abs(X1) <= 1).all()
    np.testing.assert_allclose(D1.sum(axis=1), 1.0)
    assert (D1 >= 0).all()


def test_make_artificial_noise_moves_features_not_labels():
    X0, D0 = make_artificial(50, random_state=0)
    Xn, Dn = make_artificial(50, noise=0.1, random_state=0)
    np.testing.assert_array_equal(D0, Dn)
    assert 0.05 < np.std(Xn - X0) < 0.2


def test_make_artificial_known_point():
    # x = 0: t = (1, 1, 1); psi1 = 49, psi2 = (7 + 0.49)^2, psi3 = (0 + 0.01 psi2)^2
    from ldlkit.datasets._artificial import _distributions

    psi2 = (7 + 0.49) ** 2
    psi = np.array([49.0, psi2, (0.01 * psi2) ** 2])
    np.testing.assert_allclose(_distributions(np.zeros((1, 3)))[0], psi / psi.sum())


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"n_samples": 0}, "n_samples must be an integer >= 1"), ({"noise": -1.0}, "noise must be")],
)
def test_make_artificial_bad_params(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        make_artificial(**{"n_samples": 5, **kwargs})
