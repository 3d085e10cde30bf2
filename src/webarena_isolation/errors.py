"""Every error this library raises on purpose.

The tree::

    IsolationError                  root; ``hint`` says what to try next
    ├── UsageError                  bad input on the command line (exit 2)
    │   ├── TaskSelectionError      a task range or id that can't be parsed or doesn't exist
    │   └── ProviderError           a model name whose provider can't be told
    ├── CatalogError                a catalog file that is missing or invalid
    ├── ConfigRewriteError          a task config that can't be pointed at its environment
    ├── EngineError                 the Docker engine is missing, down or refused a call
    │   └── ImageMissingError       an image a site needs is not loaded
    ├── SetupError                  the host can't be prepared (not root, not Debian, ...)
    ├── EnvironmentStartError       a task's environment could not be brought up
    │   ├── ReadinessTimeout        a site did not become ready in time (carries its log tail)
    │   └── ReconfigureError        a post-start step inside a container failed
    ├── AdmissionError              an environment needs more memory than the whole budget
    ├── ClusterError                the Ray cluster is missing, unreachable or has no slots
    ├── LoginError                  a site's login recipe did not end signed in
    └── AgentError                  the agent could not be run at all
"""

from __future__ import annotations


class IsolationError(Exception):
    """Root of every error the library raises on purpose.

    Args:
        message: what failed and where.
        hint: what the user can try next, shown after the message.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class UsageError(IsolationError):
    """The command line asked for something that can't be done as written."""

    exit_code = 2


class TaskSelectionError(UsageError):
    """A ``--tasks`` value that doesn't parse or names tasks that don't exist."""


class ProviderError(UsageError):
    """The model's provider can't be told from its name."""


class CatalogError(IsolationError):
    """A site catalog that is missing, unreadable or invalid."""


class ConfigRewriteError(IsolationError):
    """A task config that can't be pointed at its own environment."""

    def __init__(self, message: str, *, task_id: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.task_id = task_id


class EngineError(IsolationError):
    """The Docker engine is missing, not running, or refused a call."""


class ImageMissingError(EngineError):
    """One or more images that the selected sites need are not loaded."""

    def __init__(self, images: list[str], *, hint: str | None = None) -> None:
        super().__init__(f"image(s) not loaded: {', '.join(images)}", hint=hint)
        self.images = images


class SetupError(IsolationError):
    """The host can't be prepared for running environments."""


class EnvironmentStartError(IsolationError):
    """A task's environment could not be brought up.

    Attributes:
        site: the site kind that failed, when one did.
        task_id: the task whose environment it was.
        log_tail: the last lines of the failing container's log, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        site: str | None = None,
        task_id: int | None = None,
        log_tail: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.site = site
        self.task_id = task_id
        self.log_tail = log_tail


class ReadinessTimeout(EnvironmentStartError):
    """A site did not answer as ready before its deadline."""


class ReconfigureError(EnvironmentStartError):
    """A reconfiguration command inside a site's container failed.

    Attributes:
        command: the command that ran.
        exit_status: its exit status.
        output: what it printed.
    """

    def __init__(
        self,
        message: str,
        *,
        site: str,
        task_id: int | None,
        command: str,
        exit_status: int,
        output: str,
    ) -> None:
        super().__init__(message, site=site, task_id=task_id, log_tail=output)
        self.command = command
        self.exit_status = exit_status
        self.output = output


class AdmissionError(IsolationError):
    """An environment needs more memory than the host's whole budget allows."""


class ClusterError(IsolationError):
    """The Ray cluster is missing, unreachable, or has no usable node with Docker slots."""


class LoginError(IsolationError):
    """A site's login recipe ran but the browser did not end up signed in."""

    def __init__(self, message: str, *, site: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.site = site


class AgentError(IsolationError):
    """The agent could not be started or crashed before writing anything."""
