"""Experiment only: run app.py unchanged but with TCP_NODELAY on each accepted connection."""

# app.py's gevent WSGIServer leaves Nagle on, so a response written in two sends (headers,
# then body; or SSE events in a row) waits for the client's delayed ACK (~40 ms). This shim
# shows what setting TCP_NODELAY (as gunicorn does) would give: `--tcp-nodelay` on the benches.

from gevent import monkey

monkey.patch_all()

import runpy  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from gevent import pywsgi  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_handle = pywsgi.WSGIServer.handle


def handle(self: pywsgi.WSGIServer, sock: socket.socket, address: Any) -> Any:
    """Turn Nagle off on the connection, then serve it as usual."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _handle(self, sock, address)


if __name__ == "__main__":
    pywsgi.WSGIServer.handle = handle  # type: ignore[method-assign]
    sys.path.insert(0, str(ROOT))
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
