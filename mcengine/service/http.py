"""The HTTP side port: /metrics, /health and /ready.

Prometheus scrapes /metrics; orchestrators that speak HTTP rather than
gRPC probe /health (liveness: the process answers) and /ready (200 when
it should get traffic, 503 otherwise, with the state of each check in the
JSON body). A stdlib ThreadingHTTPServer in a daemon thread is enough:
these endpoints are small, and one thread per request keeps a slow scrape
from holding up a probe.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


class SidePort:
    """The HTTP endpoints of one server, on their own port and thread."""

    def __init__(self, host: str, port: int, registry, readiness, extra):
        self._registry = registry
        self._readiness = readiness
        # Called per /ready request for checks owned elsewhere (slots).
        self._extra = extra
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            name="mcengine-http",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def metrics(self) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, generate_latest(self._registry)

    def health(self) -> tuple[int, str, bytes]:
        body = {"status": "alive", "version": self._readiness.version}
        return 200, "application/json", _json(body)

    def ready(self) -> tuple[int, str, bytes]:
        body = self._readiness.snapshot(**self._extra())
        code = 200 if body["status"] == "ready" else 503
        return code, "application/json", _json(body)

    def _handler(self):
        routes = {
            "/metrics": self.metrics,
            "/health": self.health,
            "/ready": self.ready,
        }
        return _handler_class(routes)


def _handler_class(routes):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                code, kind, body = 404, "text/plain", b"not found\n"
            else:
                code, kind, body = route()
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            # Probes and scrapes every few seconds would drown the request
            # log; their effect is visible in the metrics themselves.
            pass

    return Handler


def _json(body: dict) -> bytes:
    return (json.dumps(body) + "\n").encode()
