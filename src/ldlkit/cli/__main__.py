"""``python -m ldlkit.cli``: the same as the ``ldlkit`` command."""

import sys

from . import main

if __name__ == "__main__":  # importing this module (e.g. when walking the package) runs nothing
    sys.exit(main())
