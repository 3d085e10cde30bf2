"""Where tasks run: ``local`` (threads on this machine) or ``ray`` (a Ray cluster)."""
