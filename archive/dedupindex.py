"""Deduplication index: what has been captured before, shared across runs.

One interface, :class:`DedupIndex`, three kinds of facts:

* payload digest -> first capture (for ``identical-payload-digest`` revisits);
* URL -> last capture with its validators (for conditional re-crawls and 304 revisits);
* canonical URL -> article versions by text digest (one JSON record per version).

Back ends: :class:`SqliteDedupIndex` (default, ``ARCHIVE_DIR/index/dedup.sqlite3``, WAL)
and :class:`RedisDedupIndex` (redis-py, for distributed crawls). Both are thread-safe.
In a crawl the index is opened and closed by ``archive.extension.ArchiveExtension``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class Capture:
    """One earlier capture: enough to write a revisit and to read the record back."""

    uri: str
    date: str
    record_id: str
    filename: str
    offset: int
    length: int = 0
    payload_digest: str = ""
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200


@dataclass(frozen=True)
class ArticleVersion:
    """One JSON record version of an article."""

    canonical_url: str
    text_digest: str
    version: int
    record_id: str


class DedupIndex(ABC):
    """What was captured before. Implementations must be safe to call from threads."""

    @abstractmethod
    def first_capture(self, payload_digest: str) -> Capture | None:
        """The first capture with this payload digest, any URL."""

    @abstractmethod
    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        """Remember ``capture`` unless the digest is known; True if it was added."""

    @abstractmethod
    def last_capture(self, url: str) -> Capture | None:
        """The last full capture of ``url`` (with its validators)."""

    @abstractmethod
    def set_last_capture(self, url: str, capture: Capture) -> None:
        """Replace the last capture of ``url``."""

    @abstractmethod
    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        """The version of this article with this text, if any."""

    @abstractmethod
    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        """The highest version of this article, if any."""

    @abstractmethod
    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        """Store a new version (number = latest + 1) atomically; returns the stored version.

        If this text is already stored, the existing version is returned unchanged.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


def open_dedup_index(settings: BaseSettings) -> DedupIndex:
    """Open the back end named by ``DEDUP_BACKEND`` ("sqlite" or "redis")."""
    backend = str(settings["DEDUP_BACKEND"]).lower()
    if backend == "sqlite":
        return SqliteDedupIndex(ArchivePaths.of(settings["ARCHIVE_DIR"]).dedup_db)
    if backend == "redis":
        url = settings["DEDUP_REDIS_URL"]
        prefix = settings["DEDUP_REDIS_PREFIX"]
        if not url or not prefix:
            raise ValueError("set DEDUP_REDIS_URL and DEDUP_REDIS_PREFIX for the redis back end")
        return RedisDedupIndex.from_url(url, prefix=prefix)
    raise ValueError(f"DEDUP_BACKEND must be 'sqlite' or 'redis', not {backend!r}")


def _capture_from(data: dict[str, Any] | None) -> Capture | None:
    return Capture(**data) if data else None


# -- SQLite --------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (digest TEXT PRIMARY KEY, capture TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS captures (url TEXT PRIMARY KEY, capture TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    canonical_url TEXT NOT NULL,
    version INTEGER NOT NULL,
    text_digest TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (canonical_url, version),
    UNIQUE (canonical_url, text_digest)
);
"""


class SqliteDedupIndex(DedupIndex):
    """SQLite file in WAL mode; every write is its own committed transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # create the file ourselves, so its mode is 0666 less the umask like every other
        # output (SQLite would use 0644 whatever the umask); the WAL files take its mode
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row

    def first_capture(self, payload_digest: str) -> Capture | None:
        row = self._one("SELECT capture FROM payloads WHERE digest = ?", payload_digest)
        return _capture_from(json.loads(row[0]) if row else None)

    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO payloads (digest, capture) VALUES (?, ?)",
                (payload_digest, json.dumps(asdict(capture))),
            )
            return cur.rowcount == 1

    def last_capture(self, url: str) -> Capture | None:
        row = self._one("SELECT capture FROM captures WHERE url = ?", url)
        return _capture_from(json.loads(row[0]) if row else None)

    def set_last_capture(self, url: str, capture: Capture) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO captures (url, capture) VALUES (?, ?)",
                (url, json.dumps(asdict(capture))),
            )

    def _version(self, where: str, *args: Any) -> ArticleVersion | None:
        row = self._one(
            "SELECT canonical_url, text_digest, version, record_id FROM versions " + where, *args
        )
        return ArticleVersion(*row) if row else None

    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        where = "WHERE canonical_url = ? AND text_digest = ?"
        return self._version(where, canonical_url, text_digest)

    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        return self._version("WHERE canonical_url = ? ORDER BY version DESC LIMIT 1", canonical_url)

    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO versions"
                    " (canonical_url, version, text_digest, record_id)"
                    " SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ? FROM versions"
                    " WHERE canonical_url = ?",
                    (canonical_url, text_digest, record_id, canonical_url),
                )
                row = self._db.execute(
                    "SELECT canonical_url, text_digest, version, record_id FROM versions"
                    " WHERE canonical_url = ? AND text_digest = ?",
                    (canonical_url, text_digest),
                ).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite ends it itself on a full disk
                    self._db.execute("ROLLBACK")
                raise
        return ArticleVersion(*row)

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- Redis ---------------------------------------------------------------------------
#
# Layout (format 2; docs/distributed.md, "Memory in Redis"). Every key starts with the prefix P:
#
#   P meta        hash: format "2", bucket bits, legacy "1" when format-1 keys were found
#   P files       hash: WARC file name -> small id (interned once);  P fileids: id -> name
#   P p:<bucket>  hash: raw payload digest (past the bucket's whole bytes) -> capture
#   P u:<bucket>  hash: 8 raw bytes of sha1(url) + b"c" -> last capture of the URL,
#                                                 + b"v" -> its versions
#
# <bucket> is the top ``bits`` bits (default 20) of the digest / of sha1(url) in hex, so a
# URL's or a payload's entry is one field of a hash shared with ~100 others at 100 M URLs:
# no key per URL and no URL in any key name. A capture is a JSON array without field names:
#   [uri, date, record_id, file_id, offset, length, payload_digest, etag, last_modified, status]
# with trailing defaults left off, uri 0 when it is the URL of the entry, payload_digest 0 when
# it is the digest of the entry, a "<urn:uuid:…>" record id as 32 hex digits. A last capture
# equal to the capture stored for its payload is a reference "@<bucket><field hex>" to it.
# Versions are one JSON array per URL, [[text_digest, record_id], …] in version order.
#
# Format 1 (before): P payload:<digest>, P url:<url> (JSON objects), P ver:/vercount:/vernum:
# <canonical url>. An index holding such keys is flagged legacy on first open; it is then read
# as a fallback and a URL's versions move to format 2 the next time one is added.

_FORMAT = "2"
_LEGACY_KINDS = ("payload:", "url:", "ver:", "vercount:", "vernum:")
_UUID = re.compile(
    r"<urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})>\Z"
)
_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
# defaults of the capture array's optional tail (length, payload_digest, etag, ..., status)
_TAIL_DEFAULTS: tuple[Any, ...] = (0, "", None, None, 200)
_HEAD = 5
_REF_MEMO = 4096

# KEYS: files, fileids; ARGV: file name. Returns the name's id, interning it if new.
_INTERN = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return id end
id = tostring(redis.call('HLEN', KEYS[1]) + 1)
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[2], id, ARGV[1])
return id
"""

# KEYS: URL bucket; ARGV: field, payload key prefix, bucket hex length.
# Returns {value} or, for a reference, {reference, referenced payload value}.
_LAST_CAPTURE = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.sub(v, 1, 1) == '@' then
  local n = tonumber(ARGV[3])
  local field = (string.gsub(string.sub(v, n + 2), '..', function(h)
    return string.char(tonumber(h, 16)) end))
  return {v, redis.call('HGET', ARGV[2] .. string.sub(v, 2, n + 1), field)}
end
return {v}
"""

# KEYS: payload bucket, format-1 payload key; ARGV: field, capture. SET NX over both formats.
_ADD_CAPTURE_LEGACY = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
"""

# KEYS: URL bucket [, format-1 ver, vercount, vernum]; ARGV: field, text digest, record id.
# Returns [version, text digest, record id] of the stored (or already known) version.
_ADD_VERSION = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local list = {}
if raw then
  list = cjson.decode(raw)
elseif #KEYS == 4 then
  local n = tonumber(redis.call('GET', KEYS[3]) or '0')
  for i = 1, n do
    local old = redis.call('HGET', KEYS[4], tostring(i))
    if old then
      local o = cjson.decode(old)
      list[i] = {o['text_digest'], o['record_id']}
    else
      list[i] = {'', ''}
    end
  end
end
for i, e in ipairs(list) do
  if e[1] == ARGV[2] then return cjson.encode({i, e[1], e[2]}) end
end
list[#list + 1] = {ARGV[2], ARGV[3]}
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(list))
if #KEYS == 4 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
return cjson.encode({#list, ARGV[2], ARGV[3]})
"""


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _json(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them as JSON escapes
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def _pack_record_id(record_id: str) -> str | list[str]:
    match = _UUID.match(record_id)
    if match:
        return "".join(match.groups())
    return [record_id] if _HEX32.match(record_id) else record_id


def _unpack_record_id(value: str | list[str]) -> str:
    if isinstance(value, list):
        return value[0]
    if _HEX32.match(value):
        v = value
        return f"<urn:uuid:{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}>"
    return value


def _sha1_digest_bytes(digest: str) -> bytes | None:
    """The 20 bytes of a ``sha1:<base32>`` digest written exactly so, else None."""
    if not digest.startswith("sha1:") or len(digest) != 37:
        return None
    try:
        raw = base64.b32decode(digest[5:])
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b32encode(raw).decode("ascii") == digest[5:] else None


def _digest_key(digest: str) -> bytes:
    """20 bytes naming a payload digest: its own bytes, or sha1 of any other spelling."""
    raw = _sha1_digest_bytes(digest)
    if raw is not None:
        return raw
    return hashlib.sha1(b"digest:" + digest.encode("utf-8", "surrogatepass")).digest()


def _glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


class RedisDedupIndex(DedupIndex):
    """Redis back end; every key starts with ``prefix`` (``DEDUP_REDIS_PREFIX``).

    Compact layout (format 2, described above): URLs and payload digests are bucketed into
    hashes by ``bucket_bits`` bits of their digest (fixed when the index is created, kept in
    ``<prefix>meta``). A standalone Redis (the scripts name keys they compute, not Cluster).
    """

    def __init__(self, client: Any, prefix: str = "vnnews:dedup:", bucket_bits: int = 20) -> None:
        if not 1 <= bucket_bits <= 32:
            raise ValueError(f"bucket_bits must be 1..32, not {bucket_bits}")
        self.client = client
        self.prefix = prefix
        self._intern = client.register_script(_INTERN)
        self._last = client.register_script(_LAST_CAPTURE)
        self._add_legacy = client.register_script(_ADD_CAPTURE_LEGACY)
        self._add_version = client.register_script(_ADD_VERSION)
        self._lock = threading.Lock()
        self._file_ids: dict[str, int] = {}
        self._file_names: dict[int, str] = {}
        self._refs: OrderedDict[Capture, str] = OrderedDict()
        self.bucket_bits, self.legacy = self._open_meta(bucket_bits)
        self._hex = (self.bucket_bits + 3) // 4

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "vnnews:dedup:", bucket_bits: int = 20
    ) -> RedisDedupIndex:
        import redis

        client = redis.Redis.from_url(url, decode_responses=True)
        return cls(client, prefix=prefix, bucket_bits=bucket_bits)

    # -- layout ----------------------------------------------------------------------

    def _open_meta(self, bucket_bits: int) -> tuple[int, bool]:
        key = self.prefix + "meta"
        meta = {_text(k): _text(v) for k, v in self.client.hgetall(key).items()}
        if not meta:
            legacy = "1" if self._has_legacy_keys() else "0"
            pipe = self.client.pipeline(transaction=True)
            pipe.hsetnx(key, "format", _FORMAT)
            pipe.hsetnx(key, "bits", str(bucket_bits))
            pipe.hsetnx(key, "legacy", legacy)
            pipe.hgetall(key)
            meta = {_text(k): _text(v) for k, v in pipe.execute()[-1].items()}
        if meta.get("format") != _FORMAT or not meta.get("bits", "").isdigit():
            raise ValueError(
                f"{key} names dedup index format {meta.get('format')!r}, this version reads"
                f" format {_FORMAT}: set a new DEDUP_REDIS_PREFIX (or delete {self.prefix}*)"
            )
        return int(meta["bits"]), meta.get("legacy") == "1"

    def _has_legacy_keys(self) -> bool:
        for key in self.client.scan_iter(match=_glob_escape(self.prefix) + "*", count=10_000):
            if _text(key)[len(self.prefix) :].startswith(_LEGACY_KINDS):
                return True
        return False

    def _bucket(self, raw: bytes) -> str:
        top = int.from_bytes(raw[:4], "big") >> (32 - self.bucket_bits)
        return format(top, f"0{self._hex}x")

    def _payload_slot(self, digest: str) -> tuple[str, bytes]:
        raw = _digest_key(digest)
        return self.prefix + "p:" + self._bucket(raw), raw[self.bucket_bits // 8 :]

    def _url_slot(self, url: str, kind: bytes) -> tuple[str, bytes]:
        raw = hashlib.sha1(url.encode("utf-8", "surrogatepass")).digest()
        return self.prefix + "u:" + self._bucket(raw), raw[4:12] + kind

    def _legacy_key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    def _legacy_get(self, kind: str, name: str) -> dict[str, Any] | None:
        raw = self.client.get(self._legacy_key(kind, name))
        return json.loads(raw) if raw else None

    # -- captures --------------------------------------------------------------------

    def _file_id(self, name: str) -> int:
        with self._lock:
            known = self._file_ids.get(name)
        if known is not None:
            return known
        keys = [self.prefix + "files", self.prefix + "fileids"]
        file_id = int(self._intern(keys=keys, args=[name]))
        with self._lock:
            self._file_ids[name] = file_id
            self._file_names[file_id] = name
        return file_id

    def _file_name(self, file_id: int) -> str:
        with self._lock:
            known = self._file_names.get(file_id)
        if known is not None:
            return known
        raw = self.client.hget(self.prefix + "fileids", str(file_id))
        if raw is None:
            raise ValueError(f"{self.prefix}fileids has no WARC file {file_id}: index damaged")
        name = _text(raw)
        with self._lock:
            self._file_names[file_id] = name
            self._file_ids[name] = file_id
        return name

    def _pack(
        self, capture: Capture, *, url: str | None = None, digest: str | None = None
    ) -> bytes:
        values: list[Any] = [
            0 if capture.uri == url else capture.uri,
            capture.date,
            _pack_record_id(capture.record_id),
            self._file_id(capture.filename),
            capture.offset,
            capture.length,
            0 if capture.payload_digest == digest else capture.payload_digest,
            capture.etag,
            capture.last_modified,
            capture.status,
        ]
        while len(values) > _HEAD and values[-1] == _TAIL_DEFAULTS[len(values) - 1 - _HEAD]:
            values.pop()
        return _json(values)

    def _unpack(self, raw: str | bytes, *, url: str = "", digest: str = "") -> Capture:
        values = json.loads(_text(raw))
        values += _TAIL_DEFAULTS[len(values) - _HEAD :]
        uri, date, rid, file_id, offset, length, payload, etag, last_modified, status = values
        return Capture(
            uri=url if uri == 0 else uri,
            date=date,
            record_id=_unpack_record_id(rid),
            filename=self._file_name(file_id),
            offset=offset,
            length=length,
            payload_digest=digest if payload == 0 else payload,
            etag=etag,
            last_modified=last_modified,
            status=status,
        )

    def first_capture(self, payload_digest: str) -> Capture | None:
        key, field = self._payload_slot(payload_digest)
        raw = self.client.hget(key, field)
        if raw is not None:
            return self._unpack(raw, digest=payload_digest)
        if self.legacy:
            return _capture_from(self._legacy_get("payload", payload_digest))
        return None

    def add_capture(self, payload_digest: str, capture: Capture) -> bool:
        key, field = self._payload_slot(payload_digest)
        value = self._pack(capture, digest=payload_digest)
        if self.legacy:
            old = self._legacy_key("payload", payload_digest)
            added = bool(self._add_legacy(keys=[key, old], args=[field, value]))
        else:
            added = bool(self.client.hsetnx(key, field, value))
        exact = _sha1_digest_bytes(payload_digest) is not None
        if added and exact and capture.payload_digest == payload_digest:
            # the URL's last capture is usually this one: it can name this entry
            with self._lock:
                self._refs[capture] = "@" + key[len(self.prefix) + 2 :] + field.hex()
                if len(self._refs) > _REF_MEMO:
                    self._refs.popitem(last=False)
        return added

    def last_capture(self, url: str) -> Capture | None:
        key, field = self._url_slot(url, b"c")
        found = self._last(keys=[key], args=[field, self.prefix + "p:", self._hex])
        raw = found[0] if found else None
        if raw is None:
            return _capture_from(self._legacy_get("url", url)) if self.legacy else None
        text = _text(raw)
        if not text.startswith("@"):
            return self._unpack(text, url=url)
        if len(found) < 2 or found[1] is None:
            return None  # the payload entry it names is gone (keys deleted by hand)
        bucket, field_hex = text[1 : 1 + self._hex], text[1 + self._hex :]
        top = int(bucket, 16) >> (self.bucket_bits % 8)
        digest_raw = top.to_bytes(self.bucket_bits // 8, "big") + bytes.fromhex(field_hex)
        digest = "sha1:" + base64.b32encode(digest_raw).decode("ascii")
        return self._unpack(found[1], digest=digest)

    def set_last_capture(self, url: str, capture: Capture) -> None:
        key, field = self._url_slot(url, b"c")
        with self._lock:
            ref = self._refs.get(capture)
        value = ref.encode("ascii") if ref is not None else self._pack(capture, url=url)
        if self.legacy:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(key, field, value)
            pipe.delete(self._legacy_key("url", url))
            pipe.execute()
        else:
            self.client.hset(key, field, value)

    # -- versions --------------------------------------------------------------------

    def _versions(self, canonical_url: str) -> list[list[str]] | None:
        key, field = self._url_slot(canonical_url, b"v")
        raw = self.client.hget(key, field)
        if raw is None:
            return None
        versions: list[list[str]] = json.loads(_text(raw))
        return versions

    @staticmethod
    def _legacy_version(raw: str | bytes | None) -> ArticleVersion | None:
        return ArticleVersion(**json.loads(raw)) if raw else None

    def find_version(self, canonical_url: str, text_digest: str) -> ArticleVersion | None:
        versions = self._versions(canonical_url)
        if versions is not None:
            for number, (digest, rid) in enumerate(versions, start=1):
                if digest == text_digest:
                    return ArticleVersion(canonical_url, digest, number, rid)
            return None
        if self.legacy:
            old = self.client.hget(self._legacy_key("ver", canonical_url), text_digest)
            return self._legacy_version(old)
        return None

    def latest_version(self, canonical_url: str) -> ArticleVersion | None:
        versions = self._versions(canonical_url)
        if versions:
            digest, rid = versions[-1]
            return ArticleVersion(canonical_url, digest, len(versions), rid)
        if versions is None and self.legacy:
            count = self.client.get(self._legacy_key("vercount", canonical_url))
            if not count:
                return None
            old = self.client.hget(self._legacy_key("vernum", canonical_url), _text(count))
            return self._legacy_version(old)
        return None

    def add_version(self, canonical_url: str, text_digest: str, record_id: str) -> ArticleVersion:
        key, field = self._url_slot(canonical_url, b"v")
        keys = [key]
        if self.legacy:
            keys += [self._legacy_key(k, canonical_url) for k in ("ver", "vercount", "vernum")]
        raw = self._add_version(keys=keys, args=[field, text_digest, record_id])
        number, digest, rid = json.loads(_text(raw))
        return ArticleVersion(canonical_url, digest, int(number), rid)

    def close(self) -> None:
        self.client.close()
