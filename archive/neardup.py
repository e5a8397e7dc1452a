"""Near-duplicate index: MinHash signatures of article texts, persisted across runs and sites.

A record's text (lead and body, normalised: NFC, case-folded, words only) is cut into word
shingles (``NEARDUP_SHINGLE_WORDS`` consecutive words); :class:`Signer` turns the shingle set
into a MinHash signature (datasketch, ``NEARDUP_NUM_PERM`` 32-bit values, fixed seed and hash
scheme so a signature means the same in every process and every run). Locality-sensitive
hashing splits the signature into ``bands`` of ``rows`` values (chosen by datasketch for
``NEARDUP_THRESHOLD``); two texts share a band bucket with probability ``1 - (1 - J^r)^b`` for
a Jaccard similarity ``J``. A lookup reads the record's bucket rows, ranks the documents found
by the number of buckets they share and estimates their similarity from the signatures.

Back ends, one interface (:class:`NearDupIndex`), chosen like the dedup index by
``DEDUP_BACKEND``:

* :class:`SqliteNearDupIndex`: ``ARCHIVE_DIR/index/neardup.sqlite3``. A ``docs`` table (one
  row per record version: id, URLs, site, publisher, attribution, dates, signature blob) and a
  ``bands`` table ``(bucket, doc)`` with the bucket as the leading primary-key column, so a
  lookup is ``bands`` indexed reads, never a scan or an in-memory structure;
* :class:`RedisNearDupIndex`: one hash per document and one set per band bucket, every key
  under ``NEARDUP_REDIS_PREFIX`` on the ``DEDUP_REDIS_URL`` server (the distributed mode).

The index remembers the parameters it was built with; opening it with other ones is refused
(the signatures would not be comparable).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from scrapy.settings import BaseSettings

    Signature = NDArray[np.uint32]
else:
    Signature = np.ndarray

#: the datasketch hash scheme; fixed, so stored signatures stay comparable across versions
SCHEME = "affine32"
_WORD = re.compile(r"\w+")


class NearDupConfigError(ValueError):
    """The index cannot be opened with these settings (one line, says what to change)."""


@dataclass(frozen=True)
class LshParams:
    """What makes two signatures comparable; stored with the index."""

    num_perm: int
    bands: int
    rows: int
    seed: int
    shingle_words: int
    scheme: str = SCHEME

    @classmethod
    def for_threshold(
        cls, threshold: float, num_perm: int, seed: int, shingle_words: int
    ) -> LshParams:
        """Bands and rows datasketch finds best for ``threshold`` (false +/- weighed equally)."""
        if not 0.0 < threshold < 1.0:
            raise NearDupConfigError(f"NEARDUP_THRESHOLD must be between 0 and 1, not {threshold}")
        if num_perm < 2:
            raise NearDupConfigError(f"NEARDUP_NUM_PERM must be at least 2, not {num_perm}")
        if shingle_words < 1:
            raise NearDupConfigError(
                f"NEARDUP_SHINGLE_WORDS must be at least 1, not {shingle_words}"
            )
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        return cls(num_perm, int(lsh.b), int(lsh.r), seed, shingle_words)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LshParams:
        data = json.loads(text)
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def words(text: str) -> list[str]:
    """The words of a normalised text: NFC, case-folded, punctuation and spacing dropped."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def shingles(text: str, size: int) -> set[bytes]:
    """Word ``size``-grams of ``text`` (a text shorter than that is one shingle)."""
    tokens = words(text)
    if len(tokens) <= size:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode("utf-8") for i in range(len(tokens) - size + 1)}


def record_text(record: dict[str, Any]) -> str:
    """What is compared: the lead and the body (a copy often folds the lead into its text)."""
    return "\n\n".join(str(record[k]) for k in ("lead", "text") if record.get(k))


class Signer:
    """MinHash signatures for one :class:`LshParams` (permutations computed once)."""

    def __init__(self, params: LshParams) -> None:
        self.params = params
        self._template = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme)

    def signature(self, text: str) -> Signature:
        grams = shingles(text, self.params.shingle_words)
        m = MinHash(
            num_perm=self.params.num_perm,
            seed=self.params.seed,
            permutations=self._template.permutations,
            scheme=self.params.scheme,
        )
        if grams:
            m.update_batch(sorted(grams))
        values: Signature = np.asarray(m.hashvalues, dtype=np.uint32)
        return values

    def buckets(self, signature: Signature) -> list[int]:
        """One signed 64-bit bucket key per band (band number mixed in, so bands never meet)."""
        return band_buckets(signature, self.params)


def band_buckets(signature: Signature, params: LshParams) -> list[int]:
    sig = np.ascontiguousarray(signature, dtype="<u4")
    out = []
    for band in range(params.bands):
        chunk = sig[band * params.rows : (band + 1) * params.rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, salt=band.to_bytes(16, "little")).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal signature values."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def to_blob(signature: Signature) -> bytes:
    return np.ascontiguousarray(signature, dtype="<u4").tobytes()


def from_blob(blob: bytes) -> Signature:
    values: Signature = np.frombuffer(blob, dtype="<u4").astype(np.uint32)
    return values


@dataclass(frozen=True)
class DocEntry:
    """What the index keeps of one record version (enough to decide a syndication link)."""

    id: str
    url: str
    canonical_url: str
    site: str | None = None
    publisher: str | None = None
    source: str | None = None
    published: str | None = None
    published_precision: str | None = None
    fetched_at: str | None = None
    #: id of the record this one was found to be copied from (set now or by a later link)
    origin: str | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any], origin: str | None = None) -> DocEntry:
        def opt(name: str) -> str | None:
            value = record.get(name)
            return str(value) if value not in (None, "") else None

        return cls(
            id=str(record["id"]),
            url=str(record["url"]),
            canonical_url=str(record.get("canonical_url") or record["url"]),
            site=opt("site"),
            publisher=opt("publisher"),
            source=opt("source"),
            published=opt("published"),
            published_precision=opt("published_precision"),
            fetched_at=opt("fetched_at"),
            origin=origin,
        )


@dataclass(frozen=True)
class Match:
    entry: DocEntry
    similarity: float


_ENTRY_FIELDS = tuple(f.name for f in fields(DocEntry))


class NearDupIndex(ABC):
    """Signatures of archived records. Implementations are safe to call from threads."""

    def __init__(self, params: LshParams) -> None:
        self.params = params
        self.signer = Signer(params)

    @abstractmethod
    def _candidates(self, buckets: Sequence[int], limit: int) -> list[tuple[DocEntry, bytes]]:
        """Documents sharing a bucket, most shared buckets first, at most ``limit``."""

    @abstractmethod
    def add(self, entry: DocEntry, signature: Signature) -> bool:
        """Store a record version; False if its id is already stored (nothing changes)."""

    @abstractmethod
    def get(self, record_id: str) -> DocEntry | None:
        """The stored entry of one record version."""

    @abstractmethod
    def find_by_url(self, url: str) -> list[DocEntry]:
        """Entries whose ``url`` or ``canonical_url`` is ``url``."""

    @abstractmethod
    def set_origin(self, record_id: str, origin: str) -> bool:
        """Note that ``record_id`` was copied from ``origin`` unless an origin is known already."""

    @abstractmethod
    def count(self) -> int:
        """Number of record versions stored."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def add_many(self, items: Iterable[tuple[DocEntry, Signature]]) -> int:
        """Store many (used by the benchmark); returns how many were new."""
        return sum(self.add(entry, sig) for entry, sig in items)

    def query(
        self, signature: Signature, threshold: float, limit: int = 50, candidates: int = 500
    ) -> list[Match]:
        """Stored records whose estimated similarity to ``signature`` is at least ``threshold``,
        most similar first (ties: by id). At most ``candidates`` documents are compared."""
        found = self._candidates(band_buckets(signature, self.params), candidates)
        matches = []
        for entry, blob in found:
            score = similarity(signature, from_blob(blob))
            if score >= threshold:
                matches.append(Match(entry, round(score, 4)))
        matches.sort(key=lambda m: (-m.similarity, m.entry.id))
        return matches[:limit]


def check_params(stored: str | None, params: LshParams, where: str) -> None:
    if stored is None:
        return
    old = LshParams.from_json(stored)
    if old != params:
        raise NearDupConfigError(
            f"{where} was built with {old.to_json()}, the settings give {params.to_json()}:"
            " use the same NEARDUP_* settings or another index"
        )


# -- SQLite --------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    site TEXT, publisher TEXT, source TEXT,
    published TEXT, published_precision TEXT, fetched_at TEXT,
    origin TEXT,
    signature BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_url ON docs (url);
CREATE INDEX IF NOT EXISTS docs_canonical ON docs (canonical_url);
CREATE TABLE IF NOT EXISTS bands (
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (bucket, n)
) WITHOUT ROWID;
"""
_COLUMNS = ", ".join(_ENTRY_FIELDS)


class SqliteNearDupIndex(NearDupIndex):
    """SQLite file in WAL mode (shared by crawls writing into one ``ARCHIVE_DIR``)."""

    def __init__(self, path: Path, params: LshParams) -> None:
        super().__init__(params)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # created here so its mode is 0666 less the umask (SQLite would use 0644 whatever the
        # umask); the WAL files take its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
            check_params(row[0] if row else None, params, str(path))
            if row is None:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('params', ?)", (params.to_json(),)
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            self._db.close()
            raise

    def _candidates(self, buckets: Sequence[int], limit: int) -> list[tuple[DocEntry, bytes]]:
        marks = ",".join("?" * len(buckets))
        sql = (
            f"SELECT {_COLUMNS}, signature FROM docs JOIN ("
            f" SELECT n, COUNT(*) AS shared FROM bands WHERE bucket IN ({marks})"
            " GROUP BY n ORDER BY shared DESC, n LIMIT ?) AS hits USING (n)"
            " ORDER BY hits.shared DESC, docs.n"
        )
        with self._lock:
            rows = self._db.execute(sql, (*buckets, limit)).fetchall()
        return [(DocEntry(*row[:-1]), bytes(row[-1])) for row in rows]

    def add(self, entry: DocEntry, signature: Signature) -> bool:
        with self._lock:
            return self._add(entry, signature)

    def _add(self, entry: DocEntry, signature: Signature) -> bool:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cur = self._db.execute(
                f"INSERT OR IGNORE INTO docs ({_COLUMNS}, signature)"
                f" VALUES ({','.join('?' * (len(_ENTRY_FIELDS) + 1))})",
                (*(getattr(entry, f) for f in _ENTRY_FIELDS), to_blob(signature)),
            )
            added = cur.rowcount == 1
            if added:
                n = cur.lastrowid
                self._db.executemany(
                    "INSERT OR IGNORE INTO bands (bucket, n) VALUES (?, ?)",
                    [(b, n) for b in band_buckets(signature, self.params)],
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return added

    def add_many(self, items: Iterable[tuple[DocEntry, Signature]]) -> int:
        """One transaction for all of them (bulk loading)."""
        added = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for entry, signature in items:
                    cur = self._db.execute(
                        f"INSERT OR IGNORE INTO docs ({_COLUMNS}, signature)"
                        f" VALUES ({','.join('?' * (len(_ENTRY_FIELDS) + 1))})",
                        (*(getattr(entry, f) for f in _ENTRY_FIELDS), to_blob(signature)),
                    )
                    if cur.rowcount == 1:
                        added += 1
                        n = cur.lastrowid
                        self._db.executemany(
                            "INSERT OR IGNORE INTO bands (bucket, n) VALUES (?, ?)",
                            [(b, n) for b in band_buckets(signature, self.params)],
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def get(self, record_id: str) -> DocEntry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM docs WHERE id = ?", (record_id,)
            ).fetchone()
        return DocEntry(*row) if row else None

    def find_by_url(self, url: str) -> list[DocEntry]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM docs WHERE url = ? UNION"
                f" SELECT {_COLUMNS} FROM docs WHERE canonical_url = ? ORDER BY id",
                (url, url),
            ).fetchall()
        return [DocEntry(*row) for row in rows]

    def set_origin(self, record_id: str, origin: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE docs SET origin = ? WHERE id = ? AND origin IS NULL", (origin, record_id)
            )
            return cur.rowcount == 1

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM docs").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- Redis ---------------------------------------------------------------------------


# KEYS: doc hash, count, bucket sets..., url sets...; ARGV: number of fields, field, value, ...,
# record id. Atomic: a document is stored with all its buckets, or not at all.
_ADD_DOC = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local nf = tonumber(ARGV[1])
for i = 1, nf do redis.call('HSET', KEYS[1], ARGV[2 * i], ARGV[2 * i + 1]) end
local id = ARGV[2 * nf + 2]
for i = 3, #KEYS do redis.call('SADD', KEYS[i], id) end
redis.call('INCR', KEYS[2])
return 1
"""


class RedisNearDupIndex(NearDupIndex):
    """Redis back end. Keys (all under ``prefix``): ``params``; ``doc:{id}`` (hash: the entry's
    fields and ``sig``, the signature bytes); ``b:{bucket}`` (set of ids); ``url:{url}`` (set
    of ids whose url or canonical_url it is); ``count``."""

    def __init__(self, client: Any, params: LshParams, prefix: str) -> None:
        super().__init__(params)
        if not prefix:
            raise NearDupConfigError("set NEARDUP_REDIS_PREFIX for the redis back end")
        self.client = client
        self.prefix = prefix
        self._add_script = client.register_script(_ADD_DOC)
        key = self._key("params")
        client.set(key, params.to_json(), nx=True)
        stored = client.get(key)
        check_params(stored.decode() if stored else None, params, f"redis {prefix}")

    @classmethod
    def from_url(cls, url: str, params: LshParams, prefix: str) -> RedisNearDupIndex:
        import redis

        return cls(redis.Redis.from_url(url, decode_responses=False), params, prefix)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @staticmethod
    def _entry(data: dict[bytes, bytes]) -> DocEntry:
        values = {f: data[f.encode()].decode() for f in _ENTRY_FIELDS if f.encode() in data}
        return DocEntry(**values)

    def _candidates(self, buckets: Sequence[int], limit: int) -> list[tuple[DocEntry, bytes]]:
        pipe = self.client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.smembers(self._key("b", str(bucket)))
        shared: Counter[bytes] = Counter()
        for members in pipe.execute():
            shared.update(members)
        ranked = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        pipe = self.client.pipeline(transaction=False)
        for doc_id, _ in ranked:
            pipe.hgetall(self._key("doc", doc_id.decode()))
        out = []
        for data in pipe.execute():
            if data and b"sig" in data and b"id" in data:
                out.append((self._entry(data), bytes(data[b"sig"])))
        return out

    def _add_args(self, entry: DocEntry, signature: Signature) -> tuple[list[str], list[Any]]:
        keys = [self._key("doc", entry.id), self._key("count")]
        keys += [self._key("b", str(b)) for b in band_buckets(signature, self.params)]
        keys += [self._key("url", u) for u in sorted({entry.url, entry.canonical_url})]
        mapping: list[Any] = []
        for name in _ENTRY_FIELDS:
            value = getattr(entry, name)
            if value is not None:
                mapping += [name, value]
        mapping += ["sig", to_blob(signature)]
        return keys, [len(mapping) // 2, *mapping, entry.id]

    def add(self, entry: DocEntry, signature: Signature) -> bool:
        keys, args = self._add_args(entry, signature)
        return bool(self._add_script(keys=keys, args=args))

    def add_many(self, items: Iterable[tuple[DocEntry, Signature]], batch: int = 1000) -> int:
        """Pipelined bulk load (the benchmark): the same script, ``batch`` calls per round trip."""
        added = 0
        pipe = self.client.pipeline(transaction=False)
        for i, (entry, signature) in enumerate(items, 1):
            keys, args = self._add_args(entry, signature)
            self._add_script(keys=keys, args=args, client=pipe)
            if i % batch == 0:
                added += sum(int(r) for r in pipe.execute())
        added += sum(int(r) for r in pipe.execute())
        return added

    def get(self, record_id: str) -> DocEntry | None:
        data = self.client.hgetall(self._key("doc", record_id))
        return self._entry(data) if data and b"id" in data else None

    def find_by_url(self, url: str) -> list[DocEntry]:
        ids = sorted(self.client.smembers(self._key("url", url)))
        entries = [self.get(i.decode()) for i in ids]
        return [e for e in entries if e is not None]

    def set_origin(self, record_id: str, origin: str) -> bool:
        doc = self._key("doc", record_id)
        if not self.client.exists(doc):
            return False
        return bool(self.client.hsetnx(doc, "origin", origin))

    def count(self) -> int:
        return int(self.client.get(self._key("count")) or 0)

    def close(self) -> None:
        self.client.close()


def params_from_settings(settings: BaseSettings) -> LshParams:
    return LshParams.for_threshold(
        settings.getfloat("NEARDUP_THRESHOLD"),
        settings.getint("NEARDUP_NUM_PERM"),
        settings.getint("NEARDUP_SEED"),
        settings.getint("NEARDUP_SHINGLE_WORDS"),
    )


def open_neardup_index(settings: BaseSettings) -> NearDupIndex:
    """The back end named by ``DEDUP_BACKEND``: SQLite under the archive's index directory,
    or Redis at ``DEDUP_REDIS_URL`` under ``NEARDUP_REDIS_PREFIX``."""
    params = params_from_settings(settings)
    backend = str(settings["DEDUP_BACKEND"]).lower()
    if backend == "sqlite":
        return SqliteNearDupIndex(ArchivePaths.of(settings["ARCHIVE_DIR"]).neardup_db, params)
    if backend == "redis":
        url = settings["DEDUP_REDIS_URL"]
        if not url:
            raise NearDupConfigError("set DEDUP_REDIS_URL for the redis back end")
        return RedisNearDupIndex.from_url(url, params, settings["NEARDUP_REDIS_PREFIX"])
    raise NearDupConfigError(f"DEDUP_BACKEND must be 'sqlite' or 'redis', not {backend!r}")
