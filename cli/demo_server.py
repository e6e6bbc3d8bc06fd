"""A real HTTP feed server on loopback, for ``newswire demo`` and for the tests.

It serves a directory of feed documents the way good feed servers do — strong ETags,
Last-Modified, 304 on conditional requests, gzip when asked — and lets tests add routes
that misbehave (errors, slow bodies, redirects), so the fetch path is always exercised
over a real socket rather than a mocked transport.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CONTENT_TYPES = {".xml": "application/xml", ".json": "application/json", ".html": "text/html"}
# A fixed Last-Modified for bundled files: the sample is static, and a stable value makes
# If-Modified-Since behave the same on every machine and every run.
SAMPLE_LAST_MODIFIED = formatdate(1760000000, usegmt=True)

Route = Callable[[BaseHTTPRequestHandler], None]


class FeedServer:
    """``with FeedServer(root) as server: server.url('/feeds/x.xml')``"""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.root = Path(root) if root else None
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.bytes_sent = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                pass

            def do_GET(self):
                path = urlsplit(self.path).path
                with server._lock:
                    server.hits[path] += 1
                route = server.routes.get(path)
                try:
                    if route is not None:
                        route(self)
                    else:
                        server._serve_file(self, path)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="feed-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count_bytes(self, size: int) -> None:
        with self._lock:
            self.bytes_sent += size

    def _serve_file(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if self.root is None:
            send(handler, 404, b"not found\n")
            return
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_file() or self.root.resolve() not in target.parents:
            send(handler, 404, b"not found\n")
            return
        # Static sample files link to each other through "{base}" (the live loopback address).
        body = target.read_bytes().replace(b"{base}", self.base_url.encode("ascii"))
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {
            "Content-Type": CONTENT_TYPES.get(target.suffix, "application/octet-stream"),
            "ETag": etag,
            "Last-Modified": SAMPLE_LAST_MODIFIED,
            "Cache-Control": "max-age=300",
        }
        if not_modified(handler, etag, SAMPLE_LAST_MODIFIED):
            send(
                handler,
                304,
                b"",
                headers={k: v for k, v in headers.items() if k != "Content-Type"},
                server=self,
            )
            return
        send(handler, 200, body, headers=headers, server=self)


def not_modified(handler: BaseHTTPRequestHandler, etag: str, last_modified: str) -> bool:
    if_none_match = handler.headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    if_modified_since = handler.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
    return False


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    server: FeedServer | None = None,
) -> None:
    """Send a complete response, gzip-encoded when the client accepts it."""
    headers = dict(headers or {})
    if body and status == 200 and "gzip" in handler.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if status != 304:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if status != 304 and body:
        handler.wfile.write(body)
    if server is not None:
        server.count_bytes(len(body))
