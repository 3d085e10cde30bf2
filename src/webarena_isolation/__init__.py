"""Run many WebArena tasks at once, each against its own isolated Docker containers.

The pieces, one module each: :mod:`catalog` (site specs), :mod:`environment` (one task's
containers), :mod:`rewrite` (task configs), :mod:`auth` (login state), :mod:`runner` (one task
end to end), :mod:`backends` (where tasks run), :mod:`results` (the results folder).
"""

from webarena_isolation.catalog import Catalog, SiteSpec, load_catalog
from webarena_isolation.environment import Environment, start_environment
from webarena_isolation.errors import (
    AdmissionError,
    AgentError,
    CatalogError,
    ClusterError,
    ConfigRewriteError,
    EngineError,
    EnvironmentStartError,
    ImageMissingError,
    IsolationError,
    LoginError,
    ProviderError,
    ReadinessTimeout,
    ReconfigureError,
    SetupError,
    TaskSelectionError,
    UsageError,
)
from webarena_isolation.rewrite import SiteAddress, rewrite_config
from webarena_isolation.tasks import load_task_pool, parse_selection, select_tasks

__version__ = "0.1.0"

__all__ = [
    "AdmissionError",
    "AgentError",
    "Catalog",
    "CatalogError",
    "ClusterError",
    "ConfigRewriteError",
    "EngineError",
    "Environment",
    "EnvironmentStartError",
    "ImageMissingError",
    "IsolationError",
    "LoginError",
    "ProviderError",
    "ReadinessTimeout",
    "ReconfigureError",
    "SetupError",
    "SiteAddress",
    "SiteSpec",
    "TaskSelectionError",
    "UsageError",
    "load_catalog",
    "load_task_pool",
    "parse_selection",
    "rewrite_config",
    "select_tasks",
    "start_environment",
]
