"""The same code on a Redis Cluster of three masters started on loopback by the test
(loadtests/stack.py), with rq's queues on a plain Redis beside it (ONECODE_QUEUE_REDIS_URL).
`make test-slow`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from infra.redis import brand_key, run_script
from loadtests.stack import LocalCluster, RedisServer, scratch_database

pytestmark = pytest.mark.slow

# Tests of a plain Redis's connection handling (the cluster's is tested below), and the browser
# tests of the console (they read through the same API the rest of the suite tests).
NOT_ON_A_CLUSTER = ("tests/test_redis_scripts.py", "tests/test_console.py")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    nodes = LocalCluster(tmp_path_factory.mktemp("cluster"), masters=3)
    nodes.start()
    yield nodes
    nodes.stop()


def test_the_whole_suite_passes_on_a_redis_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    queues = RedisServer(tmp_path / "queues")
    queues.start()
    try:
        with scratch_database(os.environ.get("ONECODE_DATABASE_URL")) as database:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("ONECODE_", "PYTEST_"))
            } | {
                "ONECODE_DATA_DIR": str(tmp_path / "data"),
                "ONECODE_REDIS_URL": cluster.url,
                "ONECODE_REDIS_CLUSTER": "true",
                "ONECODE_QUEUE_REDIS_URL": queues.url,
            }
            if database:
                env["ONECODE_DATABASE_URL"] = database
            run = subprocess.run(
                [
                    sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                    "tests", *(f"--ignore={path}" for path in NOT_ON_A_CLUSTER),
                ],
                env=env, capture_output=True, text=True, timeout=1800,
            )  # fmt: skip
    finally:
        queues.stop()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    # The brands' keys spread over every master: each brand's on one slot, by its hash tag.
    assert all(n > 0 for n in cluster.keys_per_node()), cluster.keys_per_node()


def _command(client: redis.Redis, *args: Any) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def test_a_script_follows_its_slot_when_the_slot_moves(cluster: LocalCluster) -> None:
    """A client with a stale slot map sends the script to the old owner, which answers MOVED:
    run_script learns the new layout and runs it on the new owner, once."""
    client = redis.RedisCluster.from_url(cluster.url)
    key = brand_key(987_654, "moved", "counter")
    script = "return redis.call('INCR', KEYS[1])"
    assert run_script(client, script, [key], []) == 1  # type: ignore[arg-type]
    slot = client.keyslot(key)
    nodes = [redis.Redis(port=node.port) for node in cluster.nodes]
    owner = next(n for n in nodes if _command(n, "CLUSTER COUNTKEYSINSLOT", slot) > 0)
    target = next(n for n in nodes if n is not owner)
    owner_id, target_id = (_command(n, "CLUSTER MYID").decode() for n in (owner, target))
    # Redis Cluster's own slot migration: importing, migrating, move the keys, then hand over.
    _command(target, "CLUSTER SETSLOT", slot, "IMPORTING", owner_id)
    _command(owner, "CLUSTER SETSLOT", slot, "MIGRATING", target_id)
    port = target.connection_pool.connection_kwargs["port"]
    _command(owner, "MIGRATE", "127.0.0.1", port, "", 0, 5000, "KEYS", key)
    # The new owner first (it takes a new epoch, so its claim wins the gossip), then the rest.
    for n in [target, owner, *(n for n in nodes if n not in (target, owner))]:
        _command(n, "CLUSTER SETSLOT", slot, "NODE", target_id)
    assert run_script(client, script, [key], []) == 2  # type: ignore[arg-type]
    assert int(target.get(key) or 0) == 2
    assert _command(owner, "CLUSTER COUNTKEYSINSLOT", slot) == 0
