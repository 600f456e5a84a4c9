"""A tiny HTTP file server on 127.0.0.1 for the download and dataset tests.

It serves in-memory files, honours `Range: bytes=N-` requests (206 / 416) unless told
not to, can cut a response short to simulate a dropped connection, and records every
request, so tests can check resumption and restarts without touching the internet.
"""

import http.server
import re
import socket
import threading


class LocalFileServer:
    """Serves `files` (URL path -> bytes) from a background thread.

    Attributes tests may change between requests:
        honour_range: answer Range requests with 206; when False, send the whole
            file with 200, as servers without range support do.
        misplace_range: answer Range requests with a 206 that starts at byte 0
            instead of the byte asked for.
        cut_after: URL path -> byte count; the next response for that path sends
            the full Content-Length but only that many bytes, then closes.
        requests: list of `(path, range_header_or_None)`, one per request.
    """

    def __init__(self):
        self.files = {}
        self.honour_range = True
        self.misplace_range = False
        self.cut_after = {}
        self.requests = []
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def closed_port_url(path="missing.bin"):
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


def _make_handler(server):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.lstrip("/")
            range_header = self.headers.get("Range")
            server.requests.append((path, range_header))
            if path not in server.files:
                self.send_error(404, "Not Found")
                return
            data = server.files[path]
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
            if match and server.honour_range:
                start = 0 if server.misplace_range else int(match.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = server.cut_after.pop(path, None)
            self.wfile.write(body if cut is None else body[:cut])
            if cut is not None:
                self.close_connection = True

        def log_message(self, *args):
            """Keeps test output quiet."""

    return Handler
