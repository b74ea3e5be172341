"""A sphinx-gallery image scraper for figures made without pyplot.

``ldlkit.experiments``' plotting functions build :class:`matplotlib.figure.Figure` objects
directly (no pyplot state), which sphinx-gallery's matplotlib scraper does not see. This scraper
saves every such figure that a gallery example holds in a variable, once, after the code block
that made it. conf.py names it by string (``"ldlkit_gallery.pyplot_free_figures"``) so that
Sphinx can pickle the gallery configuration.
"""

from __future__ import annotations

_saved: dict[str, set[int]] = {}


def pyplot_free_figures(block, block_vars, gallery_conf) -> str:
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    seen = _saved.setdefault(str(block_vars.get("src_file", "")), set())
    images = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and value.canvas.manager is None and id(value) not in seen:
            seen.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=100, bbox_inches="tight")
            images.append(path)
    return figure_rst(images, gallery_conf["src_dir"])


def reset(gallery_conf, fname) -> None:
    """Forget the figures of the previous example (sphinx-gallery's ``reset_modules`` hook)."""
    _saved.clear()
