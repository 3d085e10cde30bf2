"""What the commands print on: one console for output, one for errors, one way to fail."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from webarena_isolation.errors import IsolationError

console = Console()
err_console = Console(stderr=True)


def fail(exc: IsolationError) -> NoReturn:
    """Print a known error as one red line and exit with its code."""
    # Escaped: messages hold brackets ("[sites.<kind>]") that rich would take as markup.
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)
