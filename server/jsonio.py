"""orjson for request and response bodies: a sync batch parses several times faster than with json."""

import orjson
from flask.json.provider import DefaultJSONProvider


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider on top of orjson (UUIDs and datetimes included)."""

    def dumps(self, obj, **kwargs) -> str:
        try:
            return orjson.dumps(obj, default=self.default, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            # A lone surrogate that a client sent and an error echoes (a field's name, an item's id): orjson
            # cannot write it, `json` escapes it (\ud83c), as the client wrote it.
            return super().dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        return orjson.loads(s)
