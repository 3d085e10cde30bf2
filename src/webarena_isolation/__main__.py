"""``python -m webarena_isolation``."""

from webarena_isolation.cli import main

main()
