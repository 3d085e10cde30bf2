"""Files through which CLI commands find the running `serve` process and ask it to reload."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from standin.modes import Mode

RELOAD_SIGNAL = signal.SIGHUP


@dataclass(frozen=True)
class ServerState:
    """What the serve process last reported about itself."""

    pid: int
    port: int
    reloads: int = 0
    external_url: str | None = None
    error: str | None = None


class ReloadError(RuntimeError):
    """Raised when the server did not apply a reload."""


def pid_path(data_dir: Path, mode: Mode) -> Path:
    """Plain pid file of the mode's serve process."""
    return data_dir / f"{mode.name}.pid"


def state_path(data_dir: Path, mode: Mode) -> Path:
    """JSON status file of the mode's serve process."""
    return data_dir / f"{mode.name}.state.json"


def publish(data_dir: Path, mode: Mode, state: ServerState) -> None:
    """Record the server's pid and state (atomically, readers never see half a file)."""
    _write(pid_path(data_dir, mode), f"{state.pid}\n")
    _write(state_path(data_dir, mode), json.dumps(asdict(state)) + "\n")


def withdraw(data_dir: Path, mode: Mode, pid: int) -> None:
    """Remove the files, unless another process has taken them over meanwhile."""
    current = read(data_dir, mode)
    if current is None or current.pid == pid:
        for path in (pid_path(data_dir, mode), state_path(data_dir, mode)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def read(data_dir: Path, mode: Mode) -> ServerState | None:
    """The last published state, or None."""
    try:
        return ServerState(**json.loads(state_path(data_dir, mode).read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def running(data_dir: Path, mode: Mode) -> ServerState | None:
    """The published state if its process is still alive."""
    state = read(data_dir, mode)
    if state is None:
        return None
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return state


def request_reload(data_dir: Path, mode: Mode, timeout_s: float = 5.0) -> ServerState:
    """Signal the running server to reapply its settings; wait for its new state."""
    before = running(data_dir, mode)
    if before is None:
        raise ReloadError("no running server")
    os.kill(before.pid, RELOAD_SIGNAL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = read(data_dir, mode)
        if state is not None and (state.pid != before.pid or state.reloads > before.reloads):
            if state.error:
                raise ReloadError(state.error)
            return state
        time.sleep(0.05)
    raise ReloadError(f"server (pid {before.pid}) did not reload within {timeout_s:.0f} s")


def _write(path: Path, text: str) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(text)
    os.replace(scratch, path)
