"""A lean WebSocket load generator for `bench/api_stream.py` (`--client raw`): plain sockets and a
selector, the RFC 6455 framing done by hand (masked client frames, unmasked server frames, pong to
ping), no JSON parse of the payload (the publish time is sliced out of it). The `websockets` client
spends ~60 us of Python a message; with 5,000 clients on the same 2 cores as the server it, not the
server, set the tail. This one spends a few microseconds, so the figure is the server's delivery.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import socket
import time
from typing import Any
from urllib.parse import urlsplit


def _masked(payload: bytes, opcode: int = 0x1) -> bytes:
    n = len(payload)
    head = bytes((0x80 | opcode,)) + (
        bytes((0x80 | n,)) if n < 126 else bytes((0x80 | 126,)) + n.to_bytes(2, "big")
    )
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _connect(url: str, subscribe: dict[str, Any]) -> tuple[socket.socket, bytearray]:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=120)
    key = base64.b64encode(os.urandom(16)).decode()
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    sock.sendall(_masked(json.dumps(subscribe).encode()))
    sock.setblocking(False)
    return sock, bytearray(rest)


def _frames(buf: bytearray) -> list[tuple[int, bytes]]:
    """Complete frames at the front of `buf` (removed from it): (opcode, payload)."""
    out = []
    while len(buf) >= 2:
        n, at = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0F, bytes(buf[at : at + n])))
        del buf[: at + n]
    return out


def run(url: str, n: int, rounds: int, ready: Any, out: Any) -> None:
    """`n` clients subscribed to quotes of SPY; put n on `ready` once all are subscribed, then the
    latencies (s) of `rounds` quotes each on `out`."""
    sel = selectors.DefaultSelector()
    sub = {"action": "subscribe", "kinds": ["quote"], "symbols": ["SPY"]}
    failed = 0
    for _ in range(n):
        try:
            sock, buf = _connect(url, sub)
        except OSError:
            failed += 1
            continue
        sel.register(sock, selectors.EVENT_READ, data=[buf, 0, False])  # buffer, quotes, subscribed
    open_, subscribed, lat = n - failed, 0, []
    announced = False
    deadline = time.time() + 600
    while open_ and time.time() < deadline:
        if not announced and subscribed + failed >= n:
            ready.put(n)
            announced = True
        for key, _ in sel.select(timeout=1.0):
            sock, state = key.fileobj, key.data
            try:
                chunk = sock.recv(1 << 16)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            now = time.time()
            if not chunk:
                sel.unregister(sock)
                open_ -= 1
                failed += state[1] < rounds
                continue
            state[0] += chunk
            for opcode, payload in _frames(state[0]):
                if opcode == 0x9:  # ping
                    sock.sendall(_masked(payload, 0xA))  # type: ignore[union-attr]
                elif opcode == 0x1 and payload.startswith(b'{"type": "quote"'):
                    at = payload.rindex(b'"sent": ') + 8
                    end = at
                    while payload[end] not in b",}":
                        end += 1
                    lat.append(now - float(payload[at:end]))
                    state[1] += 1
                elif opcode == 0x1 and payload.startswith(b'{"type": "subscribed"') and not state[2]:
                    state[2] = True
                    subscribed += 1
            if state[1] >= rounds:
                sel.unregister(sock)
                sock.close()  # type: ignore[union-attr]
                open_ -= 1
    if not announced:
        ready.put(n)
    out.put((lat, failed))
