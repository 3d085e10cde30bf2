"""A real OpenAI-compatible chat server on 127.0.0.1 whose replies a test scripts.

It speaks ``POST /v1/chat/completions`` over HTTP like vLLM or ollama do, so the agent's real
client, retries and token accounting are exercised; only the model's thinking is scripted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Failure:
    """Answer a request with this HTTP status (e.g. 429) instead of a completion."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


Script = Callable[[dict[str, Any]], "str | Failure"]


def last_user_message(body: dict[str, Any]) -> str:
    """The text of the request's last user message."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""


class ScriptedModel:
    """Serve ``script(request_body)`` as the model's reply; a context manager.

    Attributes:
        requests: every request received: ``{"body": ..., "authorization": ...}``.
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    owner.requests.append(
                        {"path": self.path, "body": body,
                         "authorization": self.headers.get("Authorization", "")}
                    )
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                reply = owner.script(body)
                if isinstance(reply, Failure):
                    self._send(reply.status, {"error": {"message": f"scripted {reply.status}"}},
                               reply.headers)
                    return
                prompt_chars = sum(len(str(m.get("content", ""))) for m in body["messages"])
                prompt_tokens, completion_tokens = prompt_chars // 4, max(1, len(reply) // 4)
                self._send(200, {
                    "id": f"chatcmpl-{len(owner.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", ""),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply}}],
                    "usage": {"prompt_tokens": prompt_tokens,
                              "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens},
                })

            def _send(self, status: int, data: dict, headers: dict | None = None) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The ``--api-base`` of this server."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedModel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
