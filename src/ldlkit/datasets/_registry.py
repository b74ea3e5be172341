"""What ldlkit knows about the public LDL benchmark datasets.

Shapes and checksums are facts about the public files. ``source`` says where the benchmark file
is distributed, ``reference`` which study the data comes from. Every entry marked ``public`` is a
``{remote_name}.mat`` file of the public collection that :func:`ldlkit.datasets.fetch_dataset`
downloads (see :mod:`ldlkit.datasets._download` for the address) and verifies: by its SHA-256, or
for the large files where only that is known, by the prefix of its git blob SHA-1. A user can
register a dataset of their own, or a mirror (``url=...``), with :func:`register_dataset`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = [
    "ARTIFICIAL_ROWS",
    "ARTIFICIAL_SEED",
    "DATASETS",
    "DatasetInfo",
    "get_dataset_info",
    "list_datasets",
    "register_dataset",
]

_LDL_COLLECTION = (
    "Geng's public LDL dataset collection (PALM lab, Southeast University), "
    "http://palm.seu.edu.cn/xgeng/LDL/index.htm"
)
_SHARED_FILES = "the public LDL benchmark files distributed with LDL papers' code"


@dataclass(frozen=True)
class DatasetInfo:
    """Registry entry for one dataset."""

    name: str
    n_samples: int | None
    n_features: int | None
    n_labels: int | None
    description: str
    #: Where the benchmark file is distributed.
    source: str = _LDL_COLLECTION
    sha256: str | None = None
    url: str | None = None
    label_names: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    #: The study the data comes from (None where ldlkit does not record it).
    reference: str | None = None
    #: For a dataset ldlkit generates instead of reading a file ("artificial"): a function
    #: returning ``(X, D)``.
    generator: Callable[[], tuple[np.ndarray, np.ndarray]] | None = field(
        default=None, repr=False, compare=False
    )
    #: For a user's own file (see :func:`ldlkit.datasets.dataset_info`): the file it was read from.
    path: str | None = None
    #: Prefix of the public file's git blob SHA-1 (``git hash-object``), for files whose SHA-256
    #: is not known; used to verify a download when ``sha256`` is None.
    git_sha1: str | None = None
    #: The public file's name without ``.mat`` where it differs from ``name`` (``Twitter``).
    remote_name: str | None = None
    #: Whether the file is part of the public collection ldlkit downloads from.
    public: bool = False

    @property
    def builtin(self) -> bool:
        """Whether ldlkit generates the data itself (no file to place or download)."""
        return self.generator is not None

    @property
    def shape(self) -> str:
        def show(v):
            return "?" if v is None else str(v)

        return f"{show(self.n_samples)}×{show(self.n_features)}×{show(self.n_labels)}"


def _key(name: str) -> str:
    """Normalise a dataset name: case, '-', '_' and spaces do not matter (SCUT-FBP == scut_fbp)."""
    return re.sub(r"[\s_\-]", "", name).lower()


# fmt: off
_ENTRIES = [
    DatasetInfo(
        "SJAFFE", 213, 243, 6,
        "Facial expression: 213 JAFFE faces, LBP features, 6 basic emotions scored by 60 raters.",
        source=_LDL_COLLECTION, reference="JAFFE (Lyons et al., FG 1998)",
        sha256="bdd53fb033a275b39b8fd873809cd69f3cee13234f5aa472aea0f5ad73b8a04b",
    ),
    DatasetInfo(
        "jaffe", None, None, None,
        "Facial expression: the public collection's other JAFFE file (not byte-identical to "
        "SJAFFE; shape not recorded).",
        source=_SHARED_FILES, reference="JAFFE (Lyons et al., FG 1998)",
        sha256="4998dbeb14cc3722ef932c7455ee0306054ff18d4af1544a221d4b1f289eab4f",
    ),
    DatasetInfo(
        "SBU_3DFE", 2500, 243, 6,
        "Facial expression: 2500 BU-3DFE faces, LBP features, 6 basic emotions (23 raters).",
        source=_LDL_COLLECTION, reference="BU-3DFE (Yin et al., FG 2006)",
        sha256="59dec80525aaa859b8400a92e5b94e54b405ce6ed60bfad9ec95e58964e84707",
        aliases=("SBU-3DFE", "BU_3DFE", "BU-3DFE"),
    ),
    DatasetInfo(
        "Movie", 7755, 1869, 5,
        "Crowd opinion on movies: 1-5 star rating distributions from pre-release metadata.",
        source=_LDL_COLLECTION, reference="Geng and Hou, IJCAI 2015",
        sha256="5c8629905fdf18640410d43b30f1a84c17473df38e48f279f5a2af11019a1bac",
        label_names=("1 star", "2 stars", "3 stars", "4 stars", "5 stars"),
    ),
    DatasetInfo(
        "M2B", 1240, 250, 5,
        "Facial beauty (multi-modality beauty): 1240 faces, 5 attractiveness levels.",
        source=_SHARED_FILES, reference="M2B (Nguyen et al., ACM Multimedia 2012)",
        sha256="75d4fe5340eb120a9ce29eed9174711c8a5f093d9ae3b410bcbff9865e5868f6",
    ),
    DatasetInfo(
        "SCUT_FBP", 1500, 300, 5,
        "Facial beauty: 1500 SCUT-FBP faces, 5 attractiveness levels.",
        source=_SHARED_FILES, reference="SCUT-FBP (Xie et al., IEEE SMC 2015)",
        sha256="2851c11a0b98ad84483784230b597eca81108583b60ed3cc8674816ab48c03de",
        aliases=("SCUT-FBP", "SCUTFBP"),
    ),
    DatasetInfo(
        "emotion6", 1980, 168, 7,
        "Image emotion: 1980 Emotion6 images, 7 emotions (Ekman's six plus neutral).",
        source=_SHARED_FILES, reference="Emotion6 (Peng et al., CVPR 2015)",
        sha256="2cc3b82d142b5eb27509105540390a8a7de2d6780b898d8e69c29a12a2e409a5",
        aliases=("Emotion6",),
    ),
    DatasetInfo(
        "Natural_Scene", 2000, 294, 9,
        "Natural scene images, 9 scene labels (distributions from ranking by 10 raters).",
        source=_LDL_COLLECTION, reference="Geng, IEEE TKDE 2016",
        aliases=("NaturalScene", "Natural-Scene"), git_sha1="dbcd075e",
    ),
    DatasetInfo("Human_Gene", 17892, 36, 68, "Human genes and their relation to 68 diseases.",
                source=_LDL_COLLECTION, reference="Geng, IEEE TKDE 2016", aliases=("Gene",),
                git_sha1="6b280e60"),
    DatasetInfo("Twitter_LDL", 10040, 200, 8, "Twitter images, 8 emotions (VGG features).",
                source=_SHARED_FILES, reference="Yang, Sun and Sun, AAAI 2017",
                aliases=("Twitter",), remote_name="Twitter", git_sha1="0946f6ae"),
    DatasetInfo("Flickr_LDL", 11150, 200, 8, "Flickr images, 8 emotions (VGG features).",
                source=_SHARED_FILES, reference="Yang, Sun and Sun, AAAI 2017",
                aliases=("Flickr",), remote_name="Flickr", git_sha1="e819c901"),
    DatasetInfo("RAF_ML", 4908, 200, 6, "Real-world affective faces, 6 emotions.",
                source=_SHARED_FILES, reference="RAF-ML (Li and Deng, IJCV 2019)",
                aliases=("RAF-ML",), git_sha1="b028ebb7"),
    DatasetInfo("fbp5500", 5500, 512, 5, "SCUT-FBP5500 facial beauty, 5 attractiveness levels.",
                source=_SHARED_FILES, reference="SCUT-FBP5500 (Liang et al., ICPR 2018)",
                aliases=("SCUT-FBP5500",), git_sha1="cca204a1"),
    DatasetInfo("Music", None, None, None, "Music emotions (shape not recorded).",
                source=_SHARED_FILES,
                sha256="0de6c00768d30a3be522c59543ec4210efab6b1fa65f7973917d97075413c990"),
    DatasetInfo("Painting", None, None, None, "Painting emotions (shape not recorded).",
                source=_SHARED_FILES,
                sha256="22404e67262707f34005047dfc80aa9763472328f87fff9c2430d972d1c5b796"),
    DatasetInfo(
        "FG-Net", None, None, None,
        "Facial age estimation; public rows sum to as little as 0.57 (load with renormalize=True).",
        source=_SHARED_FILES, reference="the FG-NET ageing database (Lanitis et al., TPAMI 2002)",
        aliases=("FGNet", "FG_NET"),
        sha256="9b016b9304a2f75a1fa9b41b455dca8c07d779d2580dbb1d4f25f33ff8bf5c33",
    ),
    DatasetInfo(
        "MOR-PH", None, None, None,
        "Facial age estimation on MORPH faces (shape not recorded).",
        source=_SHARED_FILES, reference="the MORPH database (Ricanek and Tesafaye, FG 2006)",
        aliases=("MORPH",), git_sha1="159c5f4a",
    ),
]
# fmt: on

_YEAST = {
    "alpha": (18, "8b7f7788371326776299407785a5520cd05b194f57cf3babdeb21fe3d4281167"),
    "cdc": (15, "c59015213b54a93d1142c2dda0cf4907b5672d25d3343abc8b34f1cf8ce7ccc9"),
    "diau": (7, "adb77a20d5d84ea0e28bfa5c99ba094e9ba950b0d0e65bfb24551badfb8ce1ac"),
    "elu": (14, "d78808326a3e80ada817e1fb77308a4561a23176843a216f458e77e0e2a8937f"),
    "heat": (6, "6d55eccc10c97969542c5acc58194e34fe046557f876fc1ae3cd3f7a46159c94"),
    "spo": (6, "5a0bf3c55f268b24ff8b846a135befe2bc25ed085a46fc1c4b7f4c1f4c8ff16f"),
    "spo5": (3, "24e55ad6a9e68fcf80880e526c617ef44bd496022b99e49e397356e6b5e520ad"),
    "spoem": (2, "925259095ffe88269661e39fdeea39e558954356817b0480d777a98bbc917ca1"),
    "cold": (4, "7b1f599ec4791052f9549c62cc6c8677af3e982a9f4bddb298c2bb2694811f21"),
    "dtt": (4, "26ecc88e892f5964140ff144d372d15c83112f10e781c8ed497458b9286e1f1a"),
}
for _suffix, (_n_labels, _sha) in _YEAST.items():
    _ENTRIES.append(
        DatasetInfo(
            f"Yeast_{_suffix}",
            2465,
            24,
            _n_labels,
            f"Yeast gene expression over time ({_suffix} experiment), {_n_labels} time points.",
            source=_LDL_COLLECTION,
            reference="the yeast expression series of Eisen et al., PNAS 1998",
            sha256=_sha,
        )
    )
# Every file above is one of the public collection's (the artificial data below is generated).
_ENTRIES = [replace(entry, public=True) for entry in _ENTRIES]

#: Rows of the embedded artificial dataset and the seed it is generated with: ``ldlkit run``'s
#: default data, the same rows wherever the name "artificial" is used.
ARTIFICIAL_ROWS, ARTIFICIAL_SEED = 500, 0


def _artificial() -> tuple[np.ndarray, np.ndarray]:
    from ._artificial import make_artificial

    return make_artificial(ARTIFICIAL_ROWS, random_state=ARTIFICIAL_SEED)


_ENTRIES.append(
    DatasetInfo(
        "artificial",
        ARTIFICIAL_ROWS,
        3,
        3,
        f"Geng's artificial toy data: {ARTIFICIAL_ROWS} rows, 3 features in [-1, 1], 3 labels, "
        "generated by make_artificial(500, random_state=0); embedded, no file needed.",
        source="generated by ldlkit.datasets.make_artificial",
        reference="Geng, IEEE TKDE 2016 (Section 7.1)",
        generator=_artificial,
    )
)

DATASETS: dict[str, DatasetInfo] = {}
_BY_KEY: dict[str, str] = {}


def register_dataset(info: DatasetInfo, *, overwrite: bool = False) -> None:
    """Add a dataset to the registry so :func:`load_dataset` can find it by name.

    Examples
    --------
    >>> register_dataset(DatasetInfo("MyData", 100, 8, 3, "my lab's data"), overwrite=True)
    >>> get_dataset_info("mydata").n_labels
    3
    """
    for alias in (info.name, *info.aliases):
        owner = _BY_KEY.get(_key(alias))
        if owner is not None and owner != info.name and not overwrite:
            raise ValueError(f"dataset name {alias!r} is already used by {owner!r}.")
    if info.name in DATASETS and not overwrite:
        raise ValueError(f"dataset {info.name!r} is already registered; pass overwrite=True.")
    DATASETS[info.name] = info
    for alias in (info.name, *info.aliases):
        _BY_KEY[_key(alias)] = info.name


for _entry in _ENTRIES:
    register_dataset(_entry)


def registered_name(name: str) -> str | None:
    """The registered name behind ``name`` or one of its aliases, or None."""
    return _BY_KEY.get(_key(name)) if isinstance(name, str) else None


def closest_names(name: str, candidates=(), n: int = 1) -> list[str]:
    """Registered names (or ``candidates``) spelled most like ``name``, for "did you mean"."""
    spellings = {_key(alias): owner for alias, owner in _BY_KEY.items()}
    spellings.update({_key(c): c for c in candidates})
    close = difflib.get_close_matches(_key(str(name)), list(spellings), n=n * 3, cutoff=0.6)
    return list(dict.fromkeys(spellings[c] for c in close))[:n]


def unknown_dataset_message(name: str, candidates=()) -> str:
    close = closest_names(name, candidates)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return (
        f"unknown dataset {name!r}{hint} Known datasets: {', '.join(list_datasets())}. "
        "A file of your own is given by its path (.mat, .npz or .csv), or by its name when it "
        "lies in a data folder (see ldlkit.datasets.load_dataset)."
    )


def get_dataset_info(name: str) -> DatasetInfo:
    """Registry entry for ``name`` (case, '-' and '_' are ignored).

    Only registered datasets; :func:`ldlkit.datasets.dataset_info` also describes a file of your
    own given by path or found by name in a data folder.
    """
    if not isinstance(name, str):
        raise TypeError(f"a dataset name must be a string, got {name!r}.")
    owner = registered_name(name)
    if owner is None:
        raise ValueError(unknown_dataset_message(name))
    return DATASETS[owner]


def list_datasets() -> list[str]:
    """Names of all registered datasets, sorted case-insensitively."""
    return sorted(DATASETS, key=str.lower)
