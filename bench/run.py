"""`make bench`: code issuing to print files, verification in the scan path, storage per code.

Runs on a throw-away embedded data dir (or the servers named by ONECODE_* variables).
BENCH_CODES sets the print-file batch size (default 20 million; docs/benchmarks.md also reports
100 million). Prints a table and writes bench/out/results.json.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import codegen
from brands import service as brands
from infra.db import get_engine, session_scope
from infra.logging import configure_logging
from infra.migrate import upgrade
from infra.settings import get_settings


def _brand(slug: str) -> int:
    with session_scope() as s:
        brand = brands.create_brand(
            s, slug=slug, name=slug, scan_base_url="https://qr.demo-beer.cn"
        )
        brands.add_product(s, brand_id=brand.id, sku="LAGER-500", name="Lager")
        return brand.id


def bench_print_files(brand_id: int, count: int, per_file: int) -> dict[str, float]:
    with session_scope() as s:
        batch = codegen.issue_batch(s, brand_id=brand_id, kind="cap", count=count)
        export, password = codegen.create_export(
            s, brand_id=brand_id, batch_id=batch.id, codes_per_file=per_file
        )
    with session_scope() as s:
        export = codegen.get_export(s, brand_id=brand_id, export_id=export.id)
        started = time.perf_counter()
        manifest = codegen.run_export(s, export=export, password=password)
        seconds = time.perf_counter() - started
    size = sum(f["bytes"] for f in manifest["files"])
    return {
        "codes": count,
        "seconds": round(seconds, 2),
        "codes_per_second": round(count / seconds),
        "output_mb": round(size / 1e6),
        "files": len(manifest["files"]),
        "workers": os.cpu_count() or 1,
        "max_rss_main_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "max_rss_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def bench_verify(brand_id: int, n: int = 20_000, rounds: int = 5) -> dict[str, float]:
    """Time `open_code` on n distinct genuine codes, `rounds` times; report the quietest round.

    Shared machines drift, so each round also times one AES block encryption, and the ratio of
    the two is the figure that does not depend on how busy the box is.
    """
    with session_scope() as s:
        batch = codegen.issue_batch(s, brand_id=brand_id, kind="cap", count=n)
        codes = [codegen.code_at(s, batch, i) for i in range(n)]
    codegen.keyring.reload()
    aes = Cipher(algorithms.AES(os.urandom(32)), modes.ECB()).encryptor()
    block = bytes(16)
    best: dict[str, float] | None = None
    for _ in range(rounds):
        samples = []
        for c in codes:
            t = time.perf_counter_ns()
            codegen.open_code(c)
            samples.append(time.perf_counter_ns() - t)
        samples.sort()
        t = time.perf_counter_ns()
        for _ in range(n):
            aes.update(block)
        aes_ns = (time.perf_counter_ns() - t) / n
        mean = statistics.fmean(samples)
        result = {
            "codes": n,
            "rounds": rounds,
            "mean_us": round(mean / 1000, 2),
            "p50_us": round(samples[n // 2] / 1000, 2),
            "p99_us": round(samples[int(n * 0.99)] / 1000, 2),
            "one_aes_block_us": round(aes_ns / 1000, 3),
            "ratio_to_one_aes_block": round(mean / aes_ns, 1),
        }
        if best is None or result["mean_us"] < best["mean_us"]:
            best = result
    assert best is not None
    return best


def _db_bytes() -> int:
    url = get_settings().sqlalchemy_url
    if url.startswith("sqlite"):
        with get_engine().connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(url.split("///", 1)[1]).stat().st_size
    with get_engine().connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


def bench_storage(
    brand_id: int, batches: int = 2000, per_batch: int = 1_000_000
) -> dict[str, float]:
    """Database growth for issuing and activating `batches` batches of `per_batch` codes."""
    before = _db_bytes()
    binding = codegen.Binding("LAGER-500", lot="L1", factory="F1")
    with session_scope() as s:
        for _ in range(batches):
            batch = codegen.issue_batch(s, brand_id=brand_id, kind="cap", count=per_batch)
            codegen.activate_range(
                s,
                brand_id=brand_id,
                batch_id=batch.id,
                start_index=0,
                count=per_batch,
                binding=binding,
            )
    grown = _db_bytes() - before
    codes = batches * per_batch
    return {
        "codes": codes,
        "db_growth_bytes": grown,
        "bytes_per_code": grown / codes,
        "bytes_per_batch": round(grown / batches),
    }


def main() -> None:
    # Settings are read on first use, so these take effect although the imports came first.
    own_data_dir = "ONECODE_DATA_DIR" not in os.environ
    if own_data_dir:
        os.environ["ONECODE_DATA_DIR"] = tempfile.mkdtemp(prefix="onecode-bench-")
    os.environ.setdefault("ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    count = int(os.environ.get("BENCH_CODES", "20000000"))
    per_file = int(os.environ.get("BENCH_CODES_PER_FILE", "1000000"))
    configure_logging()
    upgrade()
    brand_id = _brand(f"bench-{os.getpid()}")
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "database": get_settings().sqlalchemy_url.split(":", 1)[0],
        "print_files": bench_print_files(brand_id, count, per_file),
        "verify": bench_verify(brand_id),
        "storage": bench_storage(brand_id),
    }
    out = Path("bench/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    if own_data_dir:  # the print files of a 100-million batch take 4.6 GB
        shutil.rmtree(get_settings().data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
