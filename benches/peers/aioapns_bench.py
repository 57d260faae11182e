"""Peer client for benches/http2-nginx.sh: aioapns sending one payload to every token in
a file over one connection with at most CONCURRENCY in flight.

Usage: python aioapns_bench.py HOST PORT CA_PEM KEY_P8 TOKENS_FILE PAYLOAD_FILE CONCURRENCY
Prints one JSON line: {"client": "aioapns", "ok": N, "failed": N, "send_seconds": S, ...}.

aioapns has no host or port option: the address is a class attribute of its protocol
classes (APNsProductionClientProtocol.APNS_SERVER = "api.push.apple.com",
APNsTLSClientProtocol.APNS_PORT = 443), used both for the TCP connection and the `host`
header; its only other route is an HTTP CONNECT proxy (proxy_host/proxy_port), which
nginx's `return 200` is not. So this driver gives the pool a subclass that overrides
those two attributes; the send path (h2 framing, JWT header, stream bookkeeping) is the
library's own. A custom CA is supported directly: `ssl_context=`, which also has to offer ALPN "h2"
(aioapns never sets ALPN; nginx needs it to speak HTTP/2, Apple does not).

aioapns also matches each answer to its request by the `apns-id` response header (as
APNs echoes it); the bench's nginx echoes `apns-id` for that reason. Without it every
request would wait forever.
"""

import asyncio
import json
import ssl
import sys
import time

from aioapns import APNs, NotificationRequest, PushType
try:
    from aioapns.connection import APNsProductionClientProtocol
except ImportError:  # a later aioapns that reorganised its internals
    APNsProductionClientProtocol = None


def main() -> int:
    host, port, ca_file, key_file, tokens_file, payload_file, concurrency = sys.argv[1:8]
    with open(tokens_file) as f:
        tokens = [line.strip() for line in f if line.strip()]
    with open(payload_file) as f:
        payload = json.load(f)
    return asyncio.run(send_all(host, int(port), ca_file, key_file, tokens, payload, int(concurrency)))


async def send_all(host, port, ca_file, key_file, tokens, payload, concurrency) -> int:
    # The override below relies on these internals; if a later aioapns moves them, say
    # why instead of sending to Apple's host.
    if APNsProductionClientProtocol is None:
        return unsupported(f"aioapns {aioapns_version()} has no aioapns.connection.APNsProductionClientProtocol; its host and port cannot be overridden")
    for name in ("APNS_SERVER", "APNS_PORT"):
        if not hasattr(APNsProductionClientProtocol, name):
            return unsupported(f"aioapns {aioapns_version()} has no {name} to override; it can only connect to Apple's host")

    class LocalProtocol(APNsProductionClientProtocol):
        APNS_SERVER = host
        APNS_PORT = port

    context = ssl.create_default_context(cafile=ca_file)
    # aioapns never offers ALPN (its own default context has none either): Apple's
    # servers speak HTTP/2 on TLS without it, but nginx takes a connection without "h2"
    # in ALPN for HTTP/1.1 and closes it at the HTTP/2 preface (every request then ends
    # in ConnectionClosed). Offering "h2" in the context we pass is the supported way.
    context.set_alpn_protocols(["h2"])
    # Inside the running loop: the pool takes asyncio.get_event_loop() when built.
    client = APNs(
        key=open(key_file).read(),
        key_id="ABCDEFGHIJ",
        team_id="ABCDEFGHIJ",
        topic="com.example.app",
        ssl_context=context,
        # One connection, like every other client in the bench (the default is up to 10).
        max_connections=1,
    )
    if not hasattr(client.pool, "protocol_class"):
        return unsupported(f"aioapns {aioapns_version()}: the connection pool has no protocol_class to point at a custom host")
    client.pool.protocol_class = LocalProtocol

    ok = failed = 0
    first_failure = None
    next_index = 0

    async def worker() -> None:
        # A window of `concurrency` workers, each with one notification in flight; the
        # library's own stream semaphore (the server's SETTINGS, 1000) bounds it too.
        nonlocal ok, failed, first_failure, next_index
        while next_index < len(tokens):
            token = tokens[next_index]
            next_index += 1
            request = NotificationRequest(
                device_token=token,
                message=payload,
                priority=10,
                push_type=PushType.ALERT,
            )
            try:
                result = await client.send_notification(request)
            except Exception as error:  # MaxAttemptsExceeded, ConnectionClosed
                failed += 1
                first_failure = first_failure or repr(error)
                continue
            if result.is_successful:
                ok += 1
            else:
                failed += 1
                first_failure = first_failure or f"{result.status} {result.description}"

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(tokens)))))
    seconds = time.perf_counter() - started
    client.pool.close()
    line = {
        "client": "aioapns",
        "version": aioapns_version(),
        "ok": ok,
        "failed": failed,
        "send_seconds": seconds,
    }
    if first_failure:
        line["first_failure"] = first_failure[:300]
    print(json.dumps(line))
    return 0 if failed == 0 else 1


def aioapns_version() -> str:
    from importlib.metadata import version

    return version("aioapns")


def unsupported(reason: str) -> int:
    print(json.dumps({"client": "aioapns", "unsupported": reason}))
    return 3


if __name__ == "__main__":
    sys.exit(main())
