"""Compressed answers without a proxy in front: brotli or gzip by the browser's `Accept-Encoding`.

Each body is compressed once: the field app's files (the same bytes for every visitor) into the instance
folder's `compressed/` cache, named by the sha256 of what they hold, so a restart or another worker finds them
made; the few answers made per request (catalogs, the service worker, a flyer's page and campaign) in memory.
Every variant has an ETag of its own (`"<etag>-br"`), so a 304 always answers for the bytes the browser holds.
"""

import gzip
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import brotli
from flask import current_app, request

#: Text worth compressing for phones on slow links.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json",
                "image/svg+xml")
#: Below this, the headers cost more than compression saves.
MIN_SIZE = 256
#: (Content-Encoding, ETag suffix), best first.
ENCODINGS = (("br", "br"), ("gzip", "gz"))
ETAG_SUFFIX = dict(ENCODINGS)
_memory: OrderedDict = OrderedDict()
_memory_lock = threading.Lock()
MEMORY_ENTRIES = 256


#: Above this, an answer made per request is first compressed at brotli's quality 5 (a flyer's page of 160 KB:
#: 13 ms and 46 KB, where quality 11 takes most of a second for 41 KB), and at 11 in a thread for the next
#: visitors; the app's files always get 11, once.
QUICK_ABOVE = 64 * 1024


def compress(data: bytes, encoding: str, best: bool = True) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11 if best else 5)
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


def chosen_encoding(mimetype: str, size: int) -> str | None:
    """The best encoding this browser takes for this kind of body, or None for the bytes as they are."""
    if size < MIN_SIZE or not mimetype.startswith(COMPRESSIBLE):
        return None
    accepted = request.accept_encodings
    return next((name for name, _suffix in ENCODINGS if accepted[name] > 0), None)


def cache_folder() -> Path:
    return Path(current_app.instance_path) / "compressed"


def encoded_once(data: bytes, encoding: str, on_disk: bool) -> bytes:
    """`data` compressed with `encoding`, made once: on disk (files of the app) or in memory (made per request)."""
    key = f"{hashlib.sha256(data).hexdigest()}.{encoding}"
    with _memory_lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    quick = not on_disk and len(data) > QUICK_ABOVE
    body = read_or_make(key, data, encoding) if on_disk else compress(data, encoding, best=not quick)
    remember(key, body)
    if quick:
        threading.Thread(target=lambda: remember(key, compress(data, encoding)), daemon=True).start()
    return body


def remember(key: str, body: bytes) -> None:
    with _memory_lock:
        _memory[key] = body
        _memory.move_to_end(key)
        while len(_memory) > MEMORY_ENTRIES:
            _memory.popitem(last=False)


def read_or_make(key: str, data: bytes, encoding: str) -> bytes:
    folder = cache_folder()
    path = folder / key
    try:
        return path.read_bytes()
    except OSError:
        pass
    body = compress(data, encoding)
    try:  # written whole or not at all: another worker may be making the same file
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
        with os.fdopen(handle, "wb") as file:
            file.write(body)
        os.replace(temporary, path)
    except OSError:
        current_app.logger.warning("could not keep a compressed copy in %s", folder)
    return body


def compress_response(response, on_disk: bool = False):
    """Compress a whole 200 answer in place when the browser takes it; a matching If-None-Match gives a 304."""
    if (response.status_code != 200 or response.is_streamed or "Content-Encoding" in response.headers
            or not response.mimetype.startswith(COMPRESSIBLE)):
        return response
    response.vary.add("Accept-Encoding")
    response.direct_passthrough = False
    data = response.get_data()
    encoding = chosen_encoding(response.mimetype, len(data))
    if encoding is None:
        return response
    response.set_data(encoded_once(data, encoding, on_disk))
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-{ETAG_SUFFIX[encoding]}", weak=weak)
    return response.make_conditional(request)
