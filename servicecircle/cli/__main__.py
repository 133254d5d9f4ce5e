"""``python -m servicecircle.cli``: the same as the ``servicecircle`` command."""

import sys

from servicecircle.cli import main

sys.exit(main())
