"""A webhook receiver on loopback: where ``newswire demo`` (and the tests) point a saved
query's alerts, so an apprise ``json://`` notification is delivered over a real socket and
can be shown or counted."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AlertReceiver:
    """``with AlertReceiver() as receiver:`` notify ``receiver.apprise_url``, read ``receiver.received``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.received: list[dict] = []
        # Answer this many requests with 500 (and drop them): a target that is down.
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    receiver.received.append(json.loads(body))
                except ValueError:
                    receiver.received.append({"raw": body.decode("utf-8", "replace")})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def apprise_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"json://{host}:{port}/alerts"

    def __enter__(self) -> AlertReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
