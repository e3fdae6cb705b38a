#!/usr/bin/env python3
"""A slow TCP forwarder for tests/cli/test.sh.

    throttle.py UPSTREAM_HOST:PORT BYTES_PER_SECOND

Listens on a free loopback port (printed on the first line of stdout),
forwards every connection to UPSTREAM and sends the upstream's answers
back at about BYTES_PER_SECOND per connection. A loopback registry serves
a pull of a few MiB in tens of milliseconds; through this the same pull
takes seconds, long enough to interrupt it half-way. Runs until killed.
"""
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


def pump(src, dst, rate):
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            dst.sendall(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, upstream, rate):
    try:
        server = socket.create_connection(upstream)
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, server, 0), daemon=True).start()
    pump(server, client, rate)
    client.close()
    server.close()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    rate = int(sys.argv[2])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(
            target=serve, args=(client, (host, int(port)), rate), daemon=True
        ).start()


if __name__ == "__main__":
    main()
