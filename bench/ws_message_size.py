#!/usr/bin/env python3
"""Size of one WebSocket message, as it arrives on the wire (scripts/bench, memory rows).

    bench/ws_message_size.py ws://HOST:PORT/ SUBSCRIBE_JSON NEEDLE [TIMEOUT_S]

Connects, sends SUBSCRIBE_JSON as one text message, then reads messages until one whose first
bytes contain NEEDLE (e.g. "blockNotification") has arrived whole, and prints its payload size in
bytes (fragments summed). The payload is counted, not kept. Exits 1 on timeout or a closed
connection. Standard library only (RFC 6455 client side: masked frames out, plain frames in).
"""

import base64
import os
import socket
import struct
import sys
import time
import urllib.parse

HEAD_KEEP = 256  # bytes of a message's start kept, to look for NEEDLE


def read_exact(sock, n, keep):
    """Reads n bytes; returns up to `keep` of them (the rest is counted and dropped)."""
    kept = bytearray()
    buf = bytearray(min(n, 1 << 20) or 1)
    view = memoryview(buf)
    left = n
    while left > 0:
        got = sock.recv_into(view, min(left, len(buf)))
        if got == 0:
            raise ConnectionError("connection closed")
        if len(kept) < keep:
            kept += buf[: min(got, keep - len(kept))]
        left -= got
    return bytes(kept)


def send_text(sock, text):
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(head + mask + masked)


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    url = urllib.parse.urlparse(sys.argv[1])
    subscribe, needle = sys.argv[2], sys.argv[3].encode()
    timeout_s = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    deadline = time.monotonic() + timeout_s
    sock = socket.create_connection((url.hostname, url.port or 80), timeout=timeout_s)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {url.path or '/'} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        got = sock.recv(4096)
        if not got:
            raise ConnectionError("closed during the handshake")
        response += got
    if b" 101 " not in response.split(b"\r\n", 1)[0]:
        raise ConnectionError("handshake refused: " + response.split(b"\r\n", 1)[0].decode())
    # Frames are read from the socket only (nothing past the handshake arrives before we ask).
    send_text(sock, subscribe)
    size, head = 0, b""
    while time.monotonic() < deadline:
        b0, b1 = read_exact(sock, 2, 2)
        opcode, fin, n = b0 & 0x0F, b0 & 0x80, b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", read_exact(sock, 2, 2))
        elif n == 127:
            (n,) = struct.unpack("!Q", read_exact(sock, 8, 8))
        if b1 & 0x80:
            read_exact(sock, 4, 4)  # a masked server frame: not expected, mask skipped
        if opcode >= 0x8:  # control frame: close, ping, pong
            read_exact(sock, n, 0)
            if opcode == 0x8:
                raise ConnectionError("closed by the server")
            continue
        if opcode in (0x1, 0x2):  # a new message
            size, head = 0, b""
        head += read_exact(sock, n, max(0, HEAD_KEEP - len(head)))
        size += n
        if fin and needle in head:
            print(size)
            return 0
    raise TimeoutError(f"no message containing {needle.decode()} in {timeout_s} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ConnectionError, TimeoutError) as e:
        sys.stderr.write(f"ws_message_size: {e}\n")
        sys.exit(1)
