"""``python -m ldlkit.cli``: the same as the ``ldlkit`` command."""

import sys

from . import main

sys.exit(main())
