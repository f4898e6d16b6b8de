"""``python -m benchcast`` is the ``benchcast`` command."""

import sys

from benchcast.cli import main

sys.exit(main())
