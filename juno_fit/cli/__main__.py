"""``python -m juno_fit.cli``: the ``juno-fit`` command."""

import sys

from . import main

sys.exit(main())
