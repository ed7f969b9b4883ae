"""`python -m mcengine` is the `mcengine` command."""

import sys

from mcengine.cli import main

sys.exit(main())
