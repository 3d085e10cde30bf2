#!/usr/bin/env python3
"""Entry point of the WebArena stand-in site: ``standin.py <command> [options]``."""

import sys

# The script and the package share the name "standin"; Python's path finder prefers the
# package directory next to this file, so this imports standin/cli.py, not this script.
from standin.cli import main

if __name__ == "__main__":
    sys.exit(main())
