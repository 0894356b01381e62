"""Batch settlement on Dask: chunks (whose edges fall between persons) are settled on workers, results come
back in input order and are written where the file is, so the output is byte for byte the single-process one.

Workers need only yibao's runtime, numpy and the IR: the IR documents are sent to them once (scattered), and
each worker loads them into an Engine it keeps. A worker that dies mid-run loses only its tasks, which Dask
runs again elsewhere (its own retry, ``distributed.scheduler.allowed-failures``).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterator, Optional

_ENGINES: dict = {}  # on a worker: sha256s of the IR set → (Engine, evaluators)


def settle_on_worker(irs: list, region: Optional[str], chunk: Any, detail: bool = False) -> Any:
    from yibao.batch import settle_chunk
    from yibao.runtime import Engine, Regulation

    key = tuple(ir["sha256"] for ir in irs)
    if key not in _ENGINES:
        _ENGINES[key] = (Engine([Regulation.from_ir(ir) for ir in irs]), {})
    engine, evaluators = _ENGINES[key]
    return settle_chunk(chunk, engine, region, evaluators, detail=detail)


class DaskSettle:
    """``with DaskSettle(engine, region, "local" or "tcp://HOST:PORT") as settle: run_batch(..., settle=settle)``."""

    def __init__(self, engine: Any, region: Optional[str], address: str, workers: int = 2, in_flight: int = 4,
                 detail: bool = False) -> None:
        self.engine = engine
        self.region = region
        self.detail = detail
        self.address = address
        self.workers = workers
        self.in_flight = in_flight
        self.cluster = None
        self.client = None

    def __enter__(self) -> "DaskSettle":
        from yibao.batch import BatchError
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise BatchError("--dask 需要 dask.distributed：pip install 'yibao[batch]'") from None
        try:
            if self.address == "local":
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.address, timeout=10)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"--dask {self.address}: 无法连接 Dask 调度器：{exc}") from None
        self.in_flight = max(self.in_flight, 2 * len(self.client.scheduler_info().get("workers", {})) or 2)
        self.irs = self.client.scatter([reg.ir for reg in self.engine.regulations()], broadcast=True)
        return self

    def __exit__(self, *exc) -> bool:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False

    def map_chunks(self, chunks: Iterator[Any]) -> Iterator[tuple]:
        """(chunk, result) in input order, with a few chunks in flight: memory stays bounded by them."""
        window: deque = deque()
        for chunk in chunks:
            window.append((chunk, self.client.submit(settle_on_worker, self.irs, self.region, chunk, self.detail, pure=False)))
            if len(window) >= self.in_flight:
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()
