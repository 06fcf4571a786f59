"""A bounded HTTP load, for the serving benchmark when `wrk` is not installed.

`python bench_load.py URL SECONDS CONNECTIONS` keeps CONNECTIONS requests in flight for
SECONDS and prints {"rps", "p50_ms", "p99_ms"} as JSON. A Python client saturates far
below wrk: compare its figures only with each other.
"""

import asyncio
import json
import statistics
import sys
import time

import httpx


async def worker(client: httpx.AsyncClient, url: str, deadline: float, out: list[float]) -> None:
    while (started := time.perf_counter()) < deadline:
        response = await client.get(url)
        response.raise_for_status()
        out.append(time.perf_counter() - started)


async def main(url: str, seconds: float, connections: int) -> None:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(worker(client, url, deadline, latencies) for _ in range(connections))
        )
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    result = {"rps": len(latencies) / elapsed, "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
