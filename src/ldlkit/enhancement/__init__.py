"""Label enhancement: recover label distributions from 0/1 logical labels."""

from __future__ import annotations

from ._binarize import binarize

__all__ = ["binarize"]
