"""``python -m monitor`` is the ``dq-monitor`` command."""

import sys

from monitor.cli import main

sys.exit(main())
