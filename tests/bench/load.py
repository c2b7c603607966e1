"""A small HTTP/1.1 load generator on raw asyncio streams: N connections, keep-alive.

Each connection sends one GET after the other, reusing its socket while the
server keeps it open and reconnecting when the server closes it (gunicorn's
sync workers answer ``Connection: close``), so the reconnection is part of
the measured time, as it is for a browser behind such a server. A few
hundred requests per second cost this client little CPU, which matters on a
two-core machine that also runs the server and the database.

After a warm-up, requests started within the measured window count:
latency percentiles of the 200 answers, errors (any other status, a
connection error, or no answer within the timeout), and the rate of 200
answers completed within the window. Requests still running at the end
are waited for (up to the timeout), so a slow answer is never left out.

Also a command: ``python -m tests.bench.load http://127.0.0.1:8000/ -c 50 -d 20
--header "Cookie: sessionid=..."``.
"""

import argparse
import asyncio
import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

READ_CHUNK = 65536
# After a failed connection, wait a little before the next one: a server
# that refuses connections should not be turned into a busy loop of errors.
ERROR_PAUSE_S = 0.05


@dataclass
class Sample:
    started: float
    finished: float
    status: int | None  # None: no answer (the error says why)
    error: str | None = None


@dataclass
class LoadResult:
    connections: int
    duration_s: float
    requests: int  # started within the measured window
    ok: int
    requests_per_s: float  # 200 answers completed within the window, per second
    p50_s: float | None
    p99_s: float | None
    max_s: float | None
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)
    connects: int = 0

    def summary(self) -> str:
        def ms(seconds: float | None) -> str:
            return "-" if seconds is None else f"{seconds * 1000:.0f} ms"

        return (
            f"{self.requests_per_s:,.1f} req/s over {self.duration_s:.0f} s, "
            f"{self.connections} connections: {self.requests:,} requests, {self.ok:,} OK, "
            f"p50 {ms(self.p50_s)}, p99 {ms(self.p99_s)}, max {ms(self.max_s)}, "
            f"{self.errors} errors {self.error_kinds or ''} statuses {self.statuses}, "
            f"{self.connects:,} connections opened"
        )


class HttpError(Exception):
    """The answer was not HTTP/1.x as this client reads it."""


async def _read_body(reader: asyncio.StreamReader, length: int) -> None:
    # Read and drop: a large page must not be held in memory 50 times over.
    while length > 0:
        chunk = await reader.read(min(READ_CHUNK, length))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", length)
        length -= len(chunk)


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await _read_body(reader, size + 2)  # the chunk and its CRLF
        if size == 0:
            return


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one answer; returns its status and whether the connection stays open."""
    status_line = await reader.readuntil(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"unexpected status line {status_line[:80]!r}")
    headers: dict[bytes, bytes] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = parts[0] == b"HTTP/1.1" and headers.get(b"connection") != b"close"
    if headers.get(b"transfer-encoding") == b"chunked":
        await _read_chunked(reader)
    elif b"content-length" in headers:
        await _read_body(reader, int(headers[b"content-length"]))
    else:
        await reader.read()  # the body ends with the connection
        keep_alive = False
    return int(parts[1]), keep_alive


def request_bytes(url: str, headers: Mapping[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}:{port}",
        "Accept: text/html",
        "Connection: keep-alive",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class _Connection:
    host: str
    port: int
    request: bytes
    timeout_s: float
    samples: list[Sample]
    connects: Counter
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def run_until(self, stop_at: float) -> None:
        """Requests one after the other; starts none after ``stop_at``."""
        try:
            while time.monotonic() < stop_at:
                await self._one()
        finally:
            self._close()

    async def _one(self) -> None:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                    self.connects["opened"] += 1
                self.writer.write(self.request)
                status, keep_alive = await read_response(self.reader)
        except (
            OSError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            HttpError,
            ValueError,
        ) as error:
            self.samples.append(Sample(started, time.monotonic(), None, type(error).__name__))
            self._close()
            await asyncio.sleep(ERROR_PAUSE_S)
            return
        self.samples.append(Sample(started, time.monotonic(), status))
        if not keep_alive:
            self._close()

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def percentile(ordered: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def summarize(
    samples: list[Sample], window: tuple[float, float], connections: int, connects: int
) -> LoadResult:
    begin, end = window
    counted = [s for s in samples if begin <= s.started < end]
    ok = sorted(s.finished - s.started for s in counted if s.status == 200)
    completed_ok = sum(1 for s in samples if s.status == 200 and begin <= s.finished < end)
    errors = [s for s in counted if s.status != 200]
    return LoadResult(
        connections=connections,
        duration_s=end - begin,
        requests=len(counted),
        ok=len(ok),
        requests_per_s=completed_ok / (end - begin),
        p50_s=percentile(ok, 0.50),
        p99_s=percentile(ok, 0.99),
        max_s=ok[-1] if ok else None,
        errors=len(errors),
        statuses=dict(Counter(s.status for s in counted if s.status is not None)),
        error_kinds=dict(Counter(s.error for s in errors if s.error)),
        connects=connects,
    )


async def _drive(
    url: str,
    connections: int,
    duration_s: float,
    warmup_s: float,
    timeout_s: float,
    headers: Mapping[str, str],
) -> LoadResult:
    host, port, request = request_bytes(url, headers)
    samples: list[Sample] = []
    connects: Counter = Counter()
    begin = time.monotonic() + warmup_s
    end = begin + duration_s
    clients = [
        _Connection(host, port, request, timeout_s, samples, connects) for _ in range(connections)
    ]
    await asyncio.gather(*(client.run_until(end) for client in clients))
    return summarize(samples, (begin, end), connections, connects["opened"])


def run_load(
    url: str,
    *,
    connections: int = 50,
    duration_s: float = 20,
    warmup_s: float = 3,
    timeout_s: float = 30,
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """Loads ``url`` with ``connections`` concurrent connections; see the module's docstring.

    Lasts warm-up plus duration, plus up to ``timeout_s`` for the last answers.
    """
    return asyncio.run(_drive(url, connections, duration_s, warmup_s, timeout_s, headers or {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=50)
    parser.add_argument("-d", "--duration", type=float, default=20, help="seconds measured")
    parser.add_argument("-w", "--warmup", type=float, default=3, help="seconds before")
    parser.add_argument("-t", "--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    options = parser.parse_args()
    headers = dict(
        (name.strip(), value.strip())
        for name, _, value in (h.partition(":") for h in options.header)
    )
    result = run_load(
        options.url,
        connections=options.connections,
        duration_s=options.duration,
        warmup_s=options.warmup,
        timeout_s=options.timeout,
        headers=headers,
    )
    print(result.summary())


if __name__ == "__main__":
    main()
