"""One folder per paper: its reported tables (data files), reproductions, presets and notes.

A paper folder ``ldlkit/papers/<name>/`` is a Python package that declares itself with a
module-level ``PAPER = Paper(name=..., title=...)`` (its docstring holds the transcription
notes), keeps its reported tables in ``tables.toml`` and one CSV file per table (read by
:func:`load_tables`), and registers its reproductions in its other modules (usually
``reproductions.py``, calling :func:`ldlkit.experiments.register_reproduction`). Folders are found
by walking this package, so a new paper adds its folder and nothing else. A folder kept outside
ldlkit is added with :func:`register_paper`, the ``LDLKIT_PAPERS`` environment variable (folders
separated by ``os.pathsep``) or the ``ldlkit.papers`` entry-point group.

The papers' numbers are shown beside measured ones; nothing in ldlkit tunes towards them.
"""

from __future__ import annotations

#: No estimator is defined here (paper folders): ldlkit.base.all_estimators() does not import it.
__ldlkit_no_estimators__ = True

from ._registry import (
    ENTRY_POINT_GROUP,
    PAPERS_ENV,
    Paper,
    demo_settings,
    find_reported_table,
    get_paper,
    import_paper_modules,
    list_papers,
    list_reported,
    protocol_parameters,
    protocol_presets,
    register_paper,
    reported_table,
)
from ._tables import TABLES_FILE, load_tables, read_cells, read_value_table, validate_table

__all__ = [
    "ENTRY_POINT_GROUP",
    "PAPERS_ENV",
    "TABLES_FILE",
    "Paper",
    "demo_settings",
    "find_reported_table",
    "get_paper",
    "import_paper_modules",
    "list_papers",
    "list_reported",
    "load_tables",
    "protocol_parameters",
    "protocol_presets",
    "read_cells",
    "read_value_table",
    "register_paper",
    "reported_table",
    "validate_table",
]
