"""The gRPC service: servicer, health, metrics, side port, lifecycle.

create_server(Config(port=0, http_port=0)) binds free ports and returns a
Server; start() serves liveness at once and readiness after the warm-up;
grpc_port and http_port say where; drain() is the SIGTERM sequence (see
server.py).
"""

from mcengine.service.server import Server, create_server, shutdown_bound

__all__ = ["Server", "create_server", "shutdown_bound"]
