"""The loopback HTTP server the stand-ins share: a thread serving on 127.0.0.1, a free port, every
GET and POST handed to the stand-in's `_handle(request, body)`."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LocalHttp:
    """Mixin: `with Stand_in() as s:` serves at `s.url` until the block ends."""

    server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer
    _server: ThreadingHTTPServer | None = None

    def _handle(self, req: BaseHTTPRequestHandler, body: bytes | None) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                fake._handle(self, self.rfile.read(length))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = self.server_class(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
