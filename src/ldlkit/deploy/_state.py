"""A fitted estimator as arrays and plain data, rebuilt without running code from the file.

:func:`encode` walks an object graph and returns a JSON-able tree plus a list of numpy arrays;
:func:`decode` rebuilds the graph from them. Unlike pickle, the file never names a function to
call: every node is one of a fixed set of kinds, and an object node may only name a class from
an allow-list, which is created with ``cls.__new__(cls)`` and given its attributes back.

What can be stored:

- ``None``, ``bool``, ``int``, ``float`` (NaN and infinities too), ``complex``, ``str``, ``bytes``;
- ``list``, ``tuple``, ``dict`` (any stored keys), ``set``, ``frozenset``,
  ``collections.OrderedDict``, ``collections.defaultdict`` (with an allowed factory);
- numpy arrays (object arrays element by element), numpy scalars and dtypes, numpy's scalar
  types and ufuncs;
- instances of ldlkit's own classes (any class defined in the ``ldlkit`` package), stored as
  their attributes (``__dict__`` and ``__slots__``) and rebuilt without their ``__setstate__``,
  so an estimator's own pickling code never runs on load (a ``__getstate__`` is used at save
  time only where it merely trims the live state, see ``_Encoder.trimmed_state``); ldlkit's
  enums by name;
- classes themselves only when they are builtins or numpy scalar types (``np.float32``);
  functions never (a model file cannot make a prediction call something it names);
- with torch: tensors (as arrays, with their dtype, device and ``requires_grad``; parameters as
  parameters), ``torch.device``, ``torch.dtype``, ``torch.Size``, ``torch.Generator`` (its
  state), modules of ``torch.nn`` and optimizers of ``torch.optim`` (their attributes, restored
  through torch's own ``__setstate__``);
- faiss indexes (through faiss's own serialisation, which reads data and runs no Python);
- locks (``threading.Lock``/``RLock``), stored as "a new lock".

scikit-learn objects are refused unless named in :data:`SKLEARN_ALLOWED`. Anything else raises a
TypeError at save time naming the attribute path, so a model that cannot be stored safely is
never written.

Identity is kept: an object reached twice (a parameter in a module and in its optimizer) is
stored once and rebuilt once.
"""

from __future__ import annotations

import collections
import enum
import importlib
import math
import sys
import threading
from typing import Any

import numpy as np

#: scikit-learn classes that may appear in a stored model ("module:qualname"): the fitted
#: support vector machines of LDSVR and PT-SVM and PT-SVM's probability calibration. A class
#: added here is restored from its attributes (arrays and plain data), never by running its code.
SKLEARN_ALLOWED: frozenset[str] = frozenset(
    {
        "sklearn.svm._classes:SVR",
        "sklearn.svm._classes:SVC",
        "sklearn.svm._classes:LinearSVC",
        "sklearn.calibration:CalibratedClassifierCV",
        "sklearn.calibration:_CalibratedClassifier",
        "sklearn.calibration:_SigmoidCalibration",
        "sklearn.frozen._frozen:FrozenEstimator",
    }
)

# Modules whose classes may be rebuilt from their attributes (besides ldlkit's own).
_TORCH_MODULE_PREFIXES = ("torch.nn.modules.", "torch.nn.parameter", "torch.optim.")
_BUILTIN_TYPES = {
    t.__name__: t
    for t in (
        bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset, object,
        type(None),
    )
}  # fmt: skip
_LOCK_TYPES = {type(threading.Lock()): "Lock", type(threading.RLock()): "RLock"}
_MAX_DEPTH = 500


class UnsafeStateError(TypeError):
    """An object that cannot be stored (or rebuilt) without running code from the file."""


def _is_ldlkit(module: str | None) -> bool:
    return module is not None and (module == "ldlkit" or module.startswith("ldlkit."))


def _name_of(obj) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def _torch():
    return sys.modules.get("torch")


def _class_allowed(cls: type) -> bool:
    module = getattr(cls, "__module__", None)
    if "<locals>" in getattr(cls, "__qualname__", "<locals>"):
        return False
    if _is_ldlkit(module):
        return True
    if f"{module}:{cls.__qualname__}" in SKLEARN_ALLOWED:
        return True
    torch = _torch()
    if torch is not None and module is not None and module.startswith(_TORCH_MODULE_PREFIXES):
        return issubclass(cls, torch.nn.Module | torch.optim.Optimizer)
    return False


# -- encoding --------------------------------------------------------------------------------
class _Encoder:
    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps encoded objects alive, so that ids stay unique

    def array(self, arr: np.ndarray) -> int:
        self.arrays.append(arr)
        return len(self.arrays) - 1

    def remember(self, obj) -> int:
        ref = len(self.memo)
        self.memo[id(obj)] = ref
        self.keep.append(obj)
        return ref

    def __call__(self, obj, path: str, depth: int = 0):  # noqa: C901 - one branch per kind
        if depth > _MAX_DEPTH:
            raise UnsafeStateError(f"{path}: nested more than {_MAX_DEPTH} levels deep.")
        if obj is None or isinstance(obj, bool | str):
            return obj
        kind = type(obj)
        if kind is int:
            return obj
        if kind is float:
            return obj if math.isfinite(obj) else {"F": repr(obj)}
        if kind is complex:
            return {"C": [repr(obj.real), repr(obj.imag)]}
        if kind is bytes:
            return {"BY": self.array(np.frombuffer(obj, dtype=np.uint8).copy())}
        if id(obj) in self.memo:
            return {"R": self.memo[id(obj)]}
        if isinstance(obj, np.generic):
            return {"NS": self.array(np.asarray(obj))}
        if isinstance(obj, np.dtype):
            return {"DT": self.dtype(obj, path)}
        if isinstance(obj, np.ndarray):
            return self.ndarray(obj, path, depth)
        if kind in (list, set, frozenset, tuple):
            tag = {list: "L", set: "S", frozenset: "FS", tuple: "T"}[kind]
            ref = self.remember(obj)
            items = sorted(obj, key=repr) if kind in (set, frozenset) else obj
            return {tag: [self(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(items)],
                    "id": ref}  # fmt: skip
        if kind in (dict, collections.OrderedDict, collections.defaultdict):
            ref = self.remember(obj)
            node: dict[str, Any] = {
                "D": [
                    [self(k, f"{path}.key", depth + 1), self(v, f"{path}[{k!r}]", depth + 1)]
                    for k, v in obj.items()
                ],
                "id": ref,
            }
            if kind is collections.OrderedDict:
                node["kind"] = "ordered"
            elif kind is collections.defaultdict:
                node["kind"] = "default"
                node["factory"] = self(obj.default_factory, f"{path}.default_factory", depth + 1)
            return node
        if kind in _LOCK_TYPES:
            return {"LK": _LOCK_TYPES[kind]}
        if isinstance(obj, type):
            return {"TY": self.type_name(obj, path)}
        if isinstance(obj, np.ufunc):
            return {"UF": obj.__name__}
        if isinstance(obj, enum.Enum) and _class_allowed(kind):
            return {"EN": _name_of(kind), "name": obj.name}
        module = kind.__module__ or ""
        if module.startswith("torch"):
            node = self.torch_object(obj, path, depth)
            if node is not None:
                return node
        if module.startswith("faiss"):
            return self.faiss_index(obj, path)
        if not _class_allowed(kind):
            raise UnsafeStateError(
                f"{path}: {kind.__module__}.{kind.__qualname__} is not a type that a model file "
                "may hold (allowed: ldlkit's classes, numpy arrays and scalars, plain Python "
                "containers, torch tensors, modules and optimizers)."
            )
        ref = self.remember(obj)
        return {"O": _name_of(kind), "id": ref, "state": self.attributes(obj, path, depth)}

    def attributes(self, obj, path: str, depth: int) -> list:
        found = self.live_state(obj)
        trimmed = self.trimmed_state(obj, found)
        if trimmed is not None:
            found = trimmed
        return [[k, self(v, f"{path}.{k}", depth + 1)] for k, v in found.items()]

    @staticmethod
    def live_state(obj) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for cls in type(obj).__mro__:
            for slot in cls.__dict__.get("__slots__", ()):
                if slot in ("__dict__", "__weakref__") or slot in found:
                    continue
                try:
                    found[slot] = getattr(obj, slot)
                except AttributeError:
                    pass
        found.update(getattr(obj, "__dict__", {}))
        return found

    @staticmethod
    def trimmed_state(obj, live: dict[str, Any]) -> dict[str, Any] | None:
        """An ldlkit class's ``__getstate__`` result, where it only trims the live state.

        Some classes drop spare capacity from their buffers when pickled (a row buffer grown
        for appends). Their ``__getstate__`` is used when it returns the same attributes, each
        either the live value, None (a cache dropped) or one of the same plain type (an array
        for an array): loading then needs no ``__setstate__``. Any other ``__getstate__`` (one
        that packs values into bytes, or drops attributes) is ignored; the live state is stored.
        """
        cls = type(obj)
        getstate = getattr(cls, "__getstate__", None)
        if not _is_ldlkit(cls.__module__) or getstate is None or getstate is object.__getstate__:
            return None
        try:
            state = getstate(obj)
        except Exception:  # noqa: BLE001 - fall back to the live state
            return None
        if not isinstance(state, dict) or set(state) != set(live):
            return None
        plain = (np.ndarray, list, tuple, dict, int, float, str, type(None))
        for key, value in state.items():
            old = live[key]
            if value is old or value is None:  # unchanged, or a cache dropped
                continue
            if type(value) is not type(old) or not isinstance(value, plain):
                return None
        return state

    def dtype(self, dtype: np.dtype, path: str):
        if dtype.hasobject:
            raise UnsafeStateError(f"{path}: a structured dtype holding objects cannot be stored.")
        return np.lib.format.dtype_to_descr(dtype)

    def ndarray(self, arr: np.ndarray, path: str, depth: int):
        if type(arr) is not np.ndarray and not isinstance(arr, np.memmap):
            raise UnsafeStateError(f"{path}: an array subclass ({type(arr).__name__}) cannot be "
                                   "stored; convert it with np.asarray.")  # fmt: skip
        ref = self.remember(arr)
        node: dict[str, Any] = {"id": ref}
        if not arr.flags.writeable:
            node["ro"] = True
        if arr.dtype.hasobject:
            if arr.dtype != object:
                raise UnsafeStateError(f"{path}: a structured array holding objects.")
            node["OA"] = list(arr.shape)
            node["items"] = [self(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(arr.flat)]
            return node
        node["A"] = self.array(np.asarray(arr))
        return node

    def type_name(self, cls: type, path: str) -> str:
        if cls.__module__ == "builtins" and _BUILTIN_TYPES.get(cls.__name__) is cls:
            return f"builtins:{cls.__name__}"
        if issubclass(cls, np.generic) and getattr(np, cls.__name__, None) is cls:
            return f"numpy:{cls.__name__}"
        raise UnsafeStateError(f"{path}: the class {cls.__module__}.{cls.__qualname__} cannot be "
                               "stored.")  # fmt: skip

    def torch_object(self, obj, path: str, depth: int):
        torch = _torch()
        if torch is None:
            return None
        if isinstance(obj, torch.dtype):
            return {"TD": str(obj).removeprefix("torch.")}
        if isinstance(obj, torch.device):
            return {"DV": str(obj)}
        if isinstance(obj, torch.Size):
            return {"TS": [int(v) for v in obj]}
        if isinstance(obj, torch.Generator):
            ref = self.remember(obj)
            return {"GN": self.array(obj.get_state().numpy().copy()), "device": str(obj.device),
                    "id": ref}  # fmt: skip
        if isinstance(obj, torch.Tensor):
            if type(obj) not in (torch.Tensor, torch.nn.Parameter):
                raise UnsafeStateError(f"{path}: a tensor subclass ({type(obj).__name__}).")
            if obj.layout != torch.strided:
                raise UnsafeStateError(f"{path}: a sparse tensor cannot be stored.")
            ref = self.remember(obj)
            t = obj.detach().resolve_conj().resolve_neg().cpu()
            dtype = str(t.dtype).removeprefix("torch.")
            if t.dtype == torch.bfloat16:
                t = t.view(torch.int16)
            return {"TT": self.array(t.numpy().copy()), "dtype": dtype, "id": ref,
                    "device": str(obj.device), "grad": bool(obj.requires_grad),
                    "param": isinstance(obj, torch.nn.Parameter)}  # fmt: skip
        return None

    def faiss_index(self, obj, path: str):
        import faiss

        if not isinstance(obj, faiss.Index):
            raise UnsafeStateError(f"{path}: {type(obj).__module__}.{type(obj).__qualname__} "
                                   "is not a faiss index and cannot be stored.")  # fmt: skip
        try:
            data = faiss.serialize_index(obj)
        except RuntimeError as exc:  # e.g. a GPU index
            raise UnsafeStateError(
                f"{path}: faiss could not serialise this index ({exc})."
            ) from exc
        ref = self.remember(obj)
        return {"FX": self.array(np.asarray(data, dtype=np.uint8)), "id": ref}


def encode(obj) -> tuple[Any, list[np.ndarray]]:
    """``obj`` as ``(tree, arrays)``: a JSON-able tree whose array nodes index ``arrays``."""
    encoder = _Encoder()
    tree = encoder(obj, type(obj).__name__)
    return tree, encoder.arrays


# -- decoding --------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, arrays) -> None:
        self.arrays = arrays
        self.memo: dict[int, Any] = {}

    def array(self, index) -> np.ndarray:
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not (0 <= index < len(self.arrays))
        ):
            raise ValueError(f"array reference {index!r} out of range")
        return self.arrays[index]

    def __call__(self, node, depth: int = 0):  # noqa: C901 - one branch per kind
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deeply")
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if not isinstance(node, dict) or not node:
            raise ValueError(f"unexpected node {type(node).__name__}")
        if "R" in node:
            if node["R"] not in self.memo:
                raise ValueError(f"reference {node['R']!r} to an object not yet built")
            return self.memo[node["R"]]
        if "F" in node:
            return _float(node["F"])
        if "C" in node:
            re, im = node["C"]
            return complex(_float(re), _float(im))
        if "BY" in node:
            return self.array(node["BY"]).tobytes()
        if "NS" in node:
            value = self.array(node["NS"])
            if value.ndim != 0:
                raise ValueError("a numpy scalar must be a 0-d array")
            return value[()]
        if "DT" in node:
            return _dtype(node["DT"])
        if "A" in node or "OA" in node:
            return self.ndarray(node, depth)
        for tag, kind in (("L", list), ("S", set), ("FS", frozenset), ("T", tuple)):
            if tag in node:
                return self.sequence(node, tag, kind, depth)
        if "D" in node:
            return self.mapping(node, depth)
        if "LK" in node:
            return {"Lock": threading.Lock, "RLock": threading.RLock}[node["LK"]]()
        if "TY" in node:
            return _resolve_type(node["TY"])
        if "UF" in node:
            ufunc = getattr(np, str(node["UF"]), None)
            if not isinstance(ufunc, np.ufunc):
                raise ValueError(f"{node['UF']!r} is not a numpy ufunc")
            return ufunc
        if "EN" in node:
            cls = _resolve_class(node["EN"])
            if not issubclass(cls, enum.Enum):
                raise ValueError(f"{node['EN']} is not an enum")
            return cls[node["name"]]
        if "O" in node:
            return self.instance(node, depth)
        if any(tag in node for tag in ("TD", "DV", "TS", "GN", "TT")):
            return self.torch_object(node)
        if "FX" in node:
            from .._optional import require_faiss

            faiss = require_faiss()
            index = faiss.deserialize_index(self.array(node["FX"]))
            self.memo[node["id"]] = index
            return index
        raise ValueError(f"unknown node kind {sorted(node)}")

    def ndarray(self, node, depth: int) -> np.ndarray:
        if "OA" in node:
            shape = tuple(int(v) for v in node["OA"])
            arr = np.empty(shape, dtype=object)
            self.memo[node["id"]] = arr
            items = node["items"]
            if len(items) != arr.size:
                raise ValueError("object array has the wrong number of items")
            for i, item in enumerate(items):
                arr.flat[i] = self(item, depth + 1)
        else:
            arr = self.array(node["A"])
            self.memo[node["id"]] = arr
        if node.get("ro"):
            arr.flags.writeable = False
        return arr

    def sequence(self, node, tag: str, kind: type, depth: int):
        if kind is list:
            out: list = []
            self.memo[node["id"]] = out
            out.extend(self(v, depth + 1) for v in node[tag])
            return out
        value = kind(self(v, depth + 1) for v in node[tag])
        self.memo[node["id"]] = value
        return value

    def mapping(self, node, depth: int):
        kind = node.get("kind")
        if kind is None:
            out: dict = {}
        elif kind == "ordered":
            out = collections.OrderedDict()
        elif kind == "default":
            factory = self(node["factory"], depth + 1)
            if factory is not None and not isinstance(factory, type):
                raise ValueError("a defaultdict factory must be a type")
            out = collections.defaultdict(factory)
        else:
            raise ValueError(f"unknown mapping kind {kind!r}")
        self.memo[node["id"]] = out
        for key, value in node["D"]:
            out[self(key, depth + 1)] = self(value, depth + 1)
        return out

    def instance(self, node, depth: int):
        cls = _resolve_class(node["O"])
        obj = cls.__new__(cls)
        self.memo[node["id"]] = obj
        state = {}
        for key, value in node["state"]:
            if not isinstance(key, str):
                raise ValueError("attribute names must be strings")
            state[key] = self(value, depth + 1)
        if cls.__module__.startswith("torch") and "__setstate__" in _defined(cls):
            # torch modules and optimizers: their own __setstate__ fills in defaults (the
            # allow-listed scikit-learn classes get their attributes back like ldlkit's: their
            # __setstate__ only checks the version that pickling would have stored)
            obj.__setstate__(state)
            return obj
        has_dict = hasattr(obj, "__dict__")
        for key, value in state.items():
            if has_dict and not _is_slot(cls, key):
                obj.__dict__[key] = value
            else:
                object.__setattr__(obj, key, value)
        return obj

    def torch_object(self, node):
        from .._optional import require_torch

        torch = require_torch("this model")
        if "TD" in node:
            value = getattr(torch, str(node["TD"]), None)
            if not isinstance(value, torch.dtype):
                raise ValueError(f"{node['TD']!r} is not a torch dtype")
            return value
        if "DV" in node:
            return torch.device(str(node["DV"]))
        if "TS" in node:
            return torch.Size([int(v) for v in node["TS"]])
        if "GN" in node:
            gen = torch.Generator(device=str(node.get("device", "cpu")))
            gen.set_state(torch.from_numpy(self.array(node["GN"]).copy()))
            self.memo[node["id"]] = gen
            return gen
        dtype = getattr(torch, str(node["dtype"]), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"{node['dtype']!r} is not a torch dtype")
        t = torch.from_numpy(np.array(self.array(node["TT"]), copy=True))
        if dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        if t.dtype != dtype:
            raise ValueError(f"tensor stored as {t.dtype} but recorded as {dtype}")
        device = str(node.get("device", "cpu"))
        if device != "cpu":
            t = t.to(device)
        if node.get("param"):
            t = torch.nn.Parameter(t, requires_grad=bool(node.get("grad")))
        elif node.get("grad"):
            t.requires_grad_(True)
        self.memo[node["id"]] = t
        return t


def _defined(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__[:-1]:  # not object
        names.update(klass.__dict__)
    return names


def _is_slot(cls: type, name: str) -> bool:
    return any(name in klass.__dict__.get("__slots__", ()) for klass in cls.__mro__)


def _float(text) -> float:
    if text not in ("nan", "inf", "-inf") and not isinstance(text, str):
        raise ValueError(f"bad float {text!r}")
    return float(text)


def _dtype(descr) -> np.dtype:
    if isinstance(descr, list):  # structured: [[name, descr(, shape)], ...]
        descr = [tuple(_dtype_field(f)) for f in descr]
    elif not isinstance(descr, str):
        raise ValueError(f"bad dtype {descr!r}")
    dtype = np.lib.format.descr_to_dtype(descr)
    if dtype.hasobject:
        raise ValueError("object dtypes are not allowed")
    return dtype


def _dtype_field(field):
    out = list(field)
    if isinstance(out[1], list):
        out[1] = [tuple(_dtype_field(f)) for f in out[1]]
    if len(out) > 2:
        out[2] = tuple(out[2])
    return out


def _split_name(name) -> tuple[str, str]:
    if not isinstance(name, str) or name.count(":") != 1:
        raise ValueError(f"bad class name {name!r}")
    module, qualname = name.split(":")
    if "<" in qualname or not module:
        raise ValueError(f"bad class name {name!r}")
    return module, qualname


def _lookup(module: str, qualname: str):
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{module}:{qualname} cannot be found ({exc})") from None
    return obj


def _module_allowed(module: str) -> bool:
    return (
        _is_ldlkit(module)
        or module.startswith(_TORCH_MODULE_PREFIXES)
        or any(name.startswith(module + ":") for name in SKLEARN_ALLOWED)
    )


def _resolve_class(name) -> type:
    module, qualname = _split_name(name)
    # The module is checked before it is imported: only ldlkit's, torch's and allow-listed ones.
    if not _module_allowed(module):
        raise ValueError(f"the class {name} is not allowed in a model file")
    cls = _lookup(module, qualname)
    if not isinstance(cls, type) or cls.__module__ != module or not _class_allowed(cls):
        raise ValueError(f"{name} is not an allowed class")
    return cls


def _resolve_type(name) -> type:
    module, qualname = _split_name(name)
    if module == "builtins":
        if qualname not in _BUILTIN_TYPES:
            raise ValueError(f"the type {name} is not allowed")
        return _BUILTIN_TYPES[qualname]
    if module == "numpy":
        cls = getattr(np, qualname, None)
        if not (isinstance(cls, type) and issubclass(cls, np.generic)):
            raise ValueError(f"{name} is not a numpy scalar type")
        return cls
    raise ValueError(f"the type {name} is not allowed (builtins and numpy scalar types only)")


def decode(tree, arrays) -> Any:
    """Rebuild the object that :func:`encode` described (raises ValueError on a bad tree)."""
    try:
        return _Decoder(list(arrays))(tree)
    except RecursionError:
        raise ValueError("the stored state is nested too deeply") from None
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed stored state ({type(exc).__name__}: {exc})") from None
