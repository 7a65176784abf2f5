"""``python -m cvframe``."""

import sys

from ._cli import main

sys.exit(main())
