"""``python -m segcore``: see :mod:`segcore.cli`."""

import sys

from segcore.cli import main

sys.exit(main())
