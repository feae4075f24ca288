"""A fake Socket Mode endpoint: just enough WebSocket (RFC 6455) for slack_sdk's built-in client.

It completes the handshake, says hello, answers pings, records what the client sends (Bolt's
acks) and can push envelopes (a slash command, an event) to the connected client. Standard
library only, like sandbox/fake_slack.py; point `FakeSlack.socket_mode_url` at `url`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import uuid
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake"
        self._cond = threading.Condition()
        self._clients: list[socket.socket] = []
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self.disconnections = 0
        self._stopped = False
        threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True).start()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        with self._cond:
            for client in self._clients:
                client.close()

    # --- what tests use ------------------------------------------------------------------

    def wait_connected(self, timeout: float = 20) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._clients, timeout):
                raise AssertionError("no Socket Mode client connected")

    def wait_disconnected(self, timeout: float = 20) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.disconnections >= self.connections, timeout):
                raise AssertionError("the Socket Mode client is still connected")

    def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        with self._cond:
            client = self._clients[-1]
        _send(client, _TEXT, json.dumps(message).encode())
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id}")
            ack = found()
            assert ack is not None
            return ack

    # --- the server ----------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            headers = dict(
                line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line
            )
            key = headers.get("Sec-WebSocket-Key", "").strip()
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            client.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}}
            _send(client, _TEXT, json.dumps(hello).encode())
            with self._cond:
                self._clients.append(client)
                self.connections += 1
                self._cond.notify_all()
            self._read_frames(client)
        except OSError:
            pass
        finally:
            client.close()
            with self._cond:
                if client in self._clients:
                    self._clients.remove(client)
                    self.disconnections += 1
                self._cond.notify_all()

    def _read_frames(self, client: socket.socket) -> None:
        while True:
            frame = _receive(client)
            if frame is None:
                return
            opcode, data = frame
            if opcode == _PING:
                _send(client, _PONG, data)
            elif opcode == _CLOSE:
                _send(client, _CLOSE, data[:2])
                return
            elif opcode == _TEXT:
                with self._cond:
                    self.received.append(json.loads(data))
                    self._cond.notify_all()


def _send(client: socket.socket, opcode: int, data: bytes) -> None:
    header = bytes([0x80 | opcode])
    if len(data) < 126:
        header += bytes([len(data)])
    elif len(data) < 65536:
        header += bytes([126]) + struct.pack("!H", len(data))
    else:
        header += bytes([127]) + struct.pack("!Q", len(data))
    client.sendall(header + data)


def _exactly(client: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = client.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _receive(client: socket.socket) -> tuple[int, bytes] | None:
    head = _exactly(client, 2)
    if head is None:
        return None
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        raw = _exactly(client, 2)
        length = struct.unpack("!H", raw)[0] if raw else 0
    elif length == 127:
        raw = _exactly(client, 8)
        length = struct.unpack("!Q", raw)[0] if raw else 0
    mask = _exactly(client, 4) if head[1] & 0x80 else b"\0\0\0\0"
    payload = _exactly(client, length) if length else b""
    if mask is None or payload is None:
        return None
    return opcode, bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
