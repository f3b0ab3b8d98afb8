"""Writing one print-file part. Runs in spawned worker processes, so it imports only numpy,
the cipher and the zip writer: a worker starts in a fraction of a second."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import pyzipper

from codegen.ff1 import Radix32FF1
from codegen.printlines import CHUNK, ChildRange, Sealer, render


@dataclass(frozen=True)
class ChildSpec:
    key_id: str
    secret: bytes
    parent_start: int
    parent_count: int
    child_start: int
    child_count: int
    per_parent: int


@dataclass(frozen=True)
class PartJob:
    path: str
    inner_name: str
    key_id: str
    secret: bytes
    prefix: bytes
    first: int
    end: int
    password: bytes
    compress: bool
    children: tuple[ChildSpec, ...]
    sscc_offset: int | None = None  # a code's SSCC is its serial plus this, then a check digit


@dataclass(frozen=True)
class PartResult:
    name: str
    first_index: int
    codes: int
    bytes: int
    sha256: str  # of the .zip as delivered
    text_sha256: str  # of the text file inside, once decrypted


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_part(job: PartJob) -> tuple[str, int, int, str, str]:
    sealer = Sealer(job.key_id, Radix32FF1(job.secret))
    children = [
        ChildRange(
            Sealer(c.key_id, Radix32FF1(c.secret)),
            c.parent_start,
            c.parent_count,
            c.child_start,
            c.child_count,
            c.per_parent,
        )
        for c in job.children
    ]
    text_digest = hashlib.sha256()
    compression = pyzipper.ZIP_DEFLATED if job.compress else pyzipper.ZIP_STORED
    with pyzipper.AESZipFile(
        job.path, "w", compression=compression, compresslevel=1 if job.compress else None
    ) as zf:
        zf.setpassword(job.password)
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        with zf.open(job.inner_name, "w", force_zip64=True) as fh:
            for lo in range(job.first, job.end, CHUNK):
                data = render(
                    sealer, job.prefix, lo, min(lo + CHUNK, job.end), children, job.sscc_offset
                )
                text_digest.update(data)
                fh.write(data)
    return (
        os.path.basename(job.path),
        job.end - job.first,
        os.path.getsize(job.path),
        sha256_file(job.path),
        text_digest.hexdigest(),
    )
