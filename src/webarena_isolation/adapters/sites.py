"""Site variables for agents that insist on every WebArena site being named."""

from __future__ import annotations

from collections.abc import Mapping

from webarena_isolation.rewrite import PLACEHOLDERS

SITE_NAMES = tuple(kind.upper() for kind in PLACEHOLDERS)


def not_provisioned(name: str) -> str:
    """A value for a site the task doesn't use: RFC 2606 ``.invalid`` never resolves."""
    return f"http://{name.lower().replace('_', '-')}.not-provisioned.invalid"


def complete_site_variables(environ: Mapping[str, str], *, prefix: str = "") -> dict[str, str]:
    """Every ``<prefix><SITE>`` variable: the task's own URL, or an unreachable placeholder.

    WebArena's ``env_config.py`` and BrowserGym's WebArena instance both refuse to start unless
    all seven sites are set, although a task uses one or two of them.
    """
    variables = {}
    for name in SITE_NAMES:
        value = environ.get(f"{prefix}{name}") or environ.get(name)
        variables[f"{prefix}{name}"] = value or not_provisioned(name)
    return variables
