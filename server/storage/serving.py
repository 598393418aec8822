"""Stored files sent through the app, streamed from the store, with `Range` (206 / 416), never by a public URL:
the caller checks permissions and writes the audit entry first."""

from flask import Response, request
from werkzeug.datastructures import ContentRange

from ..errors import N_, ApiError
from . import media_store


def send_stored(name: str, content_type: str, *, download_name: str | None = None,
                as_attachment: bool = False) -> Response:
    """The file `name` (all of it, or the one range asked for), read from the store as it is sent.

    :raise ApiError 404: the store has no such file.
    """
    store = media_store()
    size = store.size(name)
    if size is None:
        raise ApiError(404, "not_found", N_("This was not found."))
    start, stop, status = 0, size, 200
    asked = request.range
    if asked is not None and "If-Range" not in request.headers:  # no validators here: If-Range gets it whole
        bounds = asked.range_for_length(size)
        if bounds is None:
            reply = Response(status=416)
            reply.headers["Content-Range"] = f"bytes */{size}"
            return reply
        (start, stop), status = bounds, 206
    reply = Response(store.stream(name, start, stop), status=status, mimetype=content_type, direct_passthrough=True)
    reply.headers["Accept-Ranges"] = "bytes"
    reply.content_length = stop - start
    if status == 206:
        reply.content_range = ContentRange("bytes", start, stop, size)
    disposition = "attachment" if as_attachment else "inline"
    reply.headers["Content-Disposition"] = f'{disposition}; filename="{download_name}"' if download_name \
        else disposition
    return reply
