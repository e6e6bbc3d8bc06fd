"""The story page ``newswire serve`` serves beside the schedules: the latest stories of
every saved query, one page per story (body, revisions, appearances), and the republished
feed files of data/outputs/.

Read-only: every request opens the lake's reader views (warehouse/desk_queries.py), which
never block and are never blocked by a running ingest, and re-reads the saved-queries file,
so an edit shows on the next reload. A standard-library threaded server on loopback by
default: a desk's few readers do not need more, and it adds no dependency.
"""

from __future__ import annotations

import re
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newswire.cli.options import DEFAULT_WEB_PORT
from newswire.cli.story_html import FRONT_PAGE_STORIES, error_section, page, query_section, story_page
from newswire.tasks.datafiles import DataFileError
from newswire.tasks.desk import DeskProfile
from newswire.warehouse.desk_queries import SavedQueryRefused, stories_matching, story_detail
from newswire.warehouse.outputs import outputs_dir

FEED_FILE = re.compile(r"^/feeds/([a-z0-9][a-z0-9-]*)\.(atom\.xml|json)$")
FEED_TYPES = {
    "atom.xml": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


class StorySite:
    """``with StorySite(data_dir, desk, port=0) as site: site.url("/")``"""

    def __init__(
        self, data_dir: Path, desk: DeskProfile, host: str = "127.0.0.1", port: int = DEFAULT_WEB_PORT
    ):
        self.data_dir, self.desk = Path(data_dir), desk
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self):
                status, content_type, body = site.respond(unquote(urlsplit(self.path).path))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="story-site")

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def respond(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of one GET."""
        html = "text/html; charset=utf-8"
        try:
            config = self.desk.saved_queries()
        except DataFileError as error:
            return 500, html, page("saved queries", f'<p class="error">{escape(str(error))}</p>')
        if path == "/":
            sections = [self._section(q, FRONT_PAGE_STORIES) for q in config.queries]
            return 200, html, page("newswire", "<h1>Latest stories per saved query</h1>" + "".join(sections))
        if path.startswith("/queries/"):
            name = path.removeprefix("/queries/")
            query = next((q for q in config.queries if q.name == name), None)
            if query is None:
                return 404, html, page("not found", f"<p>No saved query {escape(name)}.</p>")
            return 200, html, page(query.title, self._section(query, query.limit, heading="h1"))
        if path.startswith("/stories/"):
            detail = story_detail(self.data_dir, path.removeprefix("/stories/"))
            if detail is None:
                return 404, html, page("not found", "<p>No such story (or it was withdrawn).</p>")
            return 200, html, story_page(detail)
        match = FEED_FILE.match(path)
        if match:
            file = outputs_dir(self.data_dir) / f"{match.group(1)}.{match.group(2)}"
            if file.is_file():
                return 200, FEED_TYPES[match.group(2)], file.read_bytes()
        return 404, html, page("not found", "<p>Not found.</p>")

    def _section(self, query, limit: int, heading: str = "h2") -> str:
        try:
            stories = stories_matching(self.data_dir, query.filters, limit)
        except SavedQueryRefused as error:
            return error_section(query.name, query.title, str(error))
        return query_section(query.name, query.title, stories, heading=heading)

    def start(self) -> StorySite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StorySite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
