"""`infra.redis.run_script`: the scan path's one way to call Redis, on the thread's own link."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis

from infra.redis import get_redis, run_script

INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def _client_id(client: redis.Redis) -> int:
    from infra.redis import _own_connection

    conn = _own_connection(client)
    conn.send_command("CLIENT", "ID")
    return int(conn.read_response())


def test_a_script_the_server_forgot_is_sent_again() -> None:
    client, key = get_redis(), f"t:{uuid.uuid4().hex}"
    assert run_script(client, INCR, [key], [2]) == 2
    client.script_flush()  # as after a restart without persistence of scripts
    assert run_script(client, INCR, [key], [3]) == 5


def test_a_broken_link_fails_the_call_once_then_reconnects() -> None:
    client, key = get_redis(), f"t:{uuid.uuid4().hex}"
    assert run_script(client, INCR, [key], [1]) == 1
    client.client_kill_filter(_id=str(_client_id(client)))
    # The caller hears of it (the scan answers 503) rather than having the script run twice.
    with pytest.raises(redis.exceptions.ConnectionError):
        run_script(client, INCR, [key], [1])
    assert run_script(client, INCR, [key], [1]) == 2


def test_each_thread_calls_on_a_link_of_its_own() -> None:
    client = get_redis()
    ids: list[int] = []
    threads = [threading.Thread(target=lambda: ids.append(_client_id(client))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids.append(_client_id(client))
    assert len(set(ids)) == 4
    assert _client_id(client) == ids[-1]  # and keeps it


def test_a_script_error_keeps_the_link() -> None:
    client = get_redis()
    before = _client_id(client)
    with pytest.raises(redis.exceptions.ResponseError):
        run_script(client, "return redis.error_reply('NOPE')", [], [])
    assert _client_id(client) == before
