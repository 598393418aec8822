"""Defaults first, then `WIJKSTEM_*` / `DATABASE_URL` environment overrides."""

import os


class Config:
    """Settings every deployment starts from."""

    #: Overridden from the environment or the instance folder's secret file.
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None  # filled with an SQLite file in the instance folder
    #: No `pool_pre_ping`: PostgreSQL connections are tested only after sitting idle (`server.database`).
    SQLALCHEMY_ENGINE_OPTIONS = {}
    #: PostgreSQL: prepare statements that recur, each execution planned afresh (`server.database`). Off
    #: (``WIJKSTEM_DATABASE_PREPARED_STATEMENTS=off``) behind a pooler that cannot keep them (docs/deployment.md).
    DATABASE_PREPARED_STATEMENTS = True
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    #: The whole request; a voice-note chunk is the largest body the API takes.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    JSON_SORT_KEYS = False

    #: Responses in one sync batch.
    SYNC_MAX_BATCH = 100
    #: Caps on one voice note.
    VOICE_MAX_BYTES = 8 * 1024 * 1024
    VOICE_MAX_SECONDS = 300
    #: Largest chunk of a resumable upload.
    VOICE_MAX_CHUNK = 1024 * 1024
    #: The most bytes a second of recording may take (48 kHz stereo 32-bit WAV); a file larger than its length
    #: explains is refused (`audio_implausible`, issue 11).
    VOICE_MAX_BYTES_PER_SECOND = 384_000
    #: Bytes of voice notes anonymous flyer visitors may upload per hour, per address and per flyer (429
    #: `upload_quota_exceeded`); counted in the database, so they hold across all workers. Devices are not capped.
    VOICE_BYTES_PER_ADDRESS_HOUR = 64 * 1024 * 1024
    VOICE_BYTES_PER_FLYER_HOUR = 512 * 1024 * 1024
    #: Where voice notes, playback copies and clips are stored (`server.storage`, docs/deployment.md):
    #: ``"local"``, the folder `MEDIA_DIR` (outside every web-served folder), or ``"s3"``, a bucket of any
    #: S3-compatible store, which every server of a scaled-out deployment shares.
    STORAGE = "local"
    MEDIA_DIR = None
    #: The bucket (made beforehand, private), the store's URL (empty: the cloud's own S3), its region, and the
    #: keys (empty: boto3's own chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws, an instance role).
    S3_BUCKET = None
    S3_ENDPOINT_URL = None
    S3_REGION = None
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    #: Keys under this prefix (``wijkstem/``) when several instances share one bucket.
    S3_PREFIX = ""
    #: ``path`` (bucket in the path: MinIO, Garage, Ceph) or ``virtual`` (bucket in the host name); empty:
    #: ``path`` when an endpoint URL is given, else boto3's choice.
    S3_ADDRESSING_STYLE = None
    #: Connections to the store each server process keeps open.
    S3_MAX_CONNECTIONS = 20
    ENROL_CODE_MINUTES = 15
    #: How long a partnership invitation code works (server/partners/).
    PARTNER_INVITATION_HOURS = 72

    #: Flask-Limiter's counters. ``None``: on `REDIS_URL` when it is set (every machine counts together), else a
    #: file shared by the workers of this machine, `ratelimits.db` in the instance folder
    #: (`server.ratelimit_storage`). Redis is configured once, as `REDIS_URL`; this is only for another
    #: `limits` storage, and `WIJKSTEM_RATELIMIT_STORAGE_URI=redis://...` (the name from before `REDIS_URL`)
    #: still puts the rate limits alone on that Redis.
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_HEADERS_ENABLED = True
    #: Prefix of every counter's key: set it when several instances share one Redis.
    RATELIMIT_KEY_PREFIX = "wijkstem"
    RATELIMIT_ANONYMOUS = "120/minute;2000/hour"
    RATELIMIT_ENROL = "10/minute"
    #: Tries at a partnership invitation code, per signed-in account (and per address).
    RATELIMIT_PARTNER_CODE = "10/hour"
    #: Public base URL printed in QR codes; defaults to the request's host. Its scheme also decides whether
    #: cookies are Secure and HSTS is sent (`https://`), whatever Host header a proxy forwards.
    PUBLIC_URL = None
    #: Addresses or networks of the reverse proxies whose X-Forwarded-For/-Proto/-Host to believe
    #: (``"127.0.0.1,::1"``); empty: none (`server.proxies`).
    TRUSTED_PROXIES = ""

    #: Workspace sign-in: tries per address; wrong passwords per account from browsers that never signed in to
    #: it (a browser that did is exempt, so nobody can lock the owner out: docs/workspace.md); then sessions
    #: that end when idle or old.
    RATELIMIT_SIGN_IN = "10/minute;60/hour"
    RATELIMIT_SIGN_IN_ACCOUNT = "10/minute;30/hour"
    #: How long a browser stays known to an account it signed in to.
    KNOWN_BROWSER_DAYS = 180
    SESSION_IDLE_MINUTES = 120
    SESSION_MAX_HOURS = 12
    #: The workspace's signed cookie (HttpOnly, SameSite=Lax, Secure unless on localhost).
    SESSION_COOKIE_NAME = "wijkstem_session"
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True

    #: Review, exports and privacy (issue 5).
    #: Responses on one inbox page, and per batch of a streamed export.
    INBOX_PAGE_SIZE = 50
    EXPORT_BATCH = 2000
    #: An export of at most this many responses (or, for the voice notes' zip, recordings) streams at once; a
    #: larger one is prepared by the ``export_file`` job into the store and downloaded from the exports page
    #: (`server.exports.files`), so no request holds a worker for minutes.
    EXPORT_STREAM_RESPONSES = 5000
    EXPORT_STREAM_RECORDINGS = 200
    #: Hours a prepared export is kept (from when it was asked for, and again from when it was ready).
    EXPORT_KEEP_HOURS = 24
    #: Automatic transcription: ``None``, a registered backend's name or ``"module:factory"``; see
    #: `server.review.transcription`. Its options are passed to the factory.
    TRANSCRIPTION_BACKEND = None
    TRANSCRIPTION_OPTIONS = {}
    #: ffmpeg makes voice notes playable in every browser; ``None`` or a missing binary serves them as recorded.
    FFMPEG_BINARY = "/usr/bin/ffmpeg"
    #: The ``retention`` job is queued this often (seconds), the first time this long after the process started
    #: (by each `wijkstem serve` worker without Redis, by `wijkstem worker` with it); interval 0 leaves it to
    #: `wijkstem retention` (cron). Never in a request (`server.privacy.schedule`, `server.jobs.periodic`).
    RETENTION_INTERVAL_SECONDS = 3600
    RETENTION_FIRST_RUN_SECONDS = 60
    #: A voice note whose response has not arrived this many days after it was declared is deleted, files and
    #: all: it belongs to no campaign, so no retention period covers it (see `server.privacy.operations`).
    VOICE_UNCLAIMED_DAYS = 30
    #: The same for a flyer visitor's note (anyone may upload one): deleted after this many days.
    VOICE_UNCLAIMED_ANONYMOUS_DAYS = 1
    #: Days a recorded prompt's upload may wait unprocessed (its normalisation failed, or never ran) before the
    #: retention sweep deletes it; the team records it again.
    CLIP_UPLOAD_DAYS = 7
    #: Residents' erasure by receipt code: tries per address.
    RATELIMIT_ERASURE = "5/minute;30/hour"

    #: Results, reach and the public results page: groups with fewer respondents are never shown with a number.
    RESULTS_MIN_GROUP_SIZE = 10
    #: Responses a results page counts into the running totals before it answers; more wait for the next view
    #: (or for `wijkstem results refresh`), so a large import cannot make a page time out.
    RESULTS_CATCH_UP_PER_REQUEST = 20_000
    #: Every campaign's running totals are brought up to date by the ``results_refresh`` job this often (seconds;
    #: 0: only when a page finds more than `RESULTS_CATCH_UP_PER_REQUEST` waiting, or `wijkstem results refresh`).
    RESULTS_REFRESH_SECONDS = 300
    #: Visits to a public results page (``/r/<code>``) per address.
    RATELIMIT_PUBLIC_RESULTS = "60/minute;600/hour"
    #: Clip downloads per address: a flyer visitor fetches one language's clips at once (about 40), and several
    #: residents may share one address at a community centre.
    RATELIMIT_CLIPS = "600/minute;6000/hour"

    #: The one Redis of a deployment on several machines (``redis://host:6379/0``): background jobs go to RQ
    #: there and `wijkstem worker` runs them (`server.jobs`), and the rate limits count there unless
    #: `RATELIMIT_STORAGE_URI` says otherwise. ``None`` (the embedded default): a thread of each server process
    #: runs the jobs, and the workers of one machine count in a local file.
    REDIS_URL = None
    #: ``None`` (RQ with `REDIS_URL`, else a thread), ``"thread"``, ``"rq"`` or ``"inline"`` (at once: tests).
    JOBS_RUNNER = None
    #: RQ's queue name: set it when several Wijkstem instances share one Redis.
    JOBS_QUEUE = "wijkstem"
    #: Seconds to wait before each retry of a failed job (as many retries as intervals).
    JOBS_RETRY_INTERVALS = (10, 60, 300)
    #: A pending job nobody ran for this long (its process died, Redis was away) is queued again.
    JOBS_STALE_SECONDS = 900
    #: Longest a job may run under RQ.
    JOBS_TIMEOUT_SECONDS = 600
    #: How often the periodic jobs' clock looks at what is due (seconds).
    JOBS_CLOCK_SECONDS = 60

    #: What an operator watches (`server.health`, `server.metrics`, `server.logs`). `/metrics` answers a request
    #: bearing this token, or from these addresses or networks (``"10.0.0.0/8,127.0.0.1"``); neither set: 404.
    METRICS_TOKEN = None
    METRICS_ALLOW = ""
    #: ``"json"``: every log record (and one line per request) as a JSON object on stderr; ``None``: plain text.
    LOG_FORMAT = None


ENV_OVERRIDES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "WIJKSTEM_SECRET_KEY": "SECRET_KEY",
    "WIJKSTEM_MEDIA_DIR": "MEDIA_DIR",
    "WIJKSTEM_STORAGE": "STORAGE",
    "WIJKSTEM_S3_BUCKET": "S3_BUCKET",
    "WIJKSTEM_S3_ENDPOINT_URL": "S3_ENDPOINT_URL",
    "WIJKSTEM_S3_REGION": "S3_REGION",
    "WIJKSTEM_S3_ACCESS_KEY_ID": "S3_ACCESS_KEY_ID",
    "WIJKSTEM_S3_SECRET_ACCESS_KEY": "S3_SECRET_ACCESS_KEY",
    "WIJKSTEM_S3_PREFIX": "S3_PREFIX",
    "WIJKSTEM_S3_ADDRESSING_STYLE": "S3_ADDRESSING_STYLE",
    "WIJKSTEM_S3_MAX_CONNECTIONS": "S3_MAX_CONNECTIONS",
    "WIJKSTEM_RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "WIJKSTEM_RATELIMIT_KEY_PREFIX": "RATELIMIT_KEY_PREFIX",
    "WIJKSTEM_PUBLIC_URL": "PUBLIC_URL",
    "WIJKSTEM_TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "WIJKSTEM_TRANSCRIPTION_BACKEND": "TRANSCRIPTION_BACKEND",
    "WIJKSTEM_RETENTION_INTERVAL_SECONDS": "RETENTION_INTERVAL_SECONDS",
    "WIJKSTEM_VOICE_BYTES_PER_ADDRESS_HOUR": "VOICE_BYTES_PER_ADDRESS_HOUR",
    "WIJKSTEM_VOICE_BYTES_PER_FLYER_HOUR": "VOICE_BYTES_PER_FLYER_HOUR",
    "WIJKSTEM_REDIS_URL": "REDIS_URL",
    "WIJKSTEM_JOBS_RUNNER": "JOBS_RUNNER",
    "WIJKSTEM_JOBS_QUEUE": "JOBS_QUEUE",
    "WIJKSTEM_RESULTS_REFRESH_SECONDS": "RESULTS_REFRESH_SECONDS",
    "WIJKSTEM_JOBS_TIMEOUT_SECONDS": "JOBS_TIMEOUT_SECONDS",
    "WIJKSTEM_EXPORT_STREAM_RESPONSES": "EXPORT_STREAM_RESPONSES",
    "WIJKSTEM_EXPORT_STREAM_RECORDINGS": "EXPORT_STREAM_RECORDINGS",
    "WIJKSTEM_EXPORT_KEEP_HOURS": "EXPORT_KEEP_HOURS",
    "WIJKSTEM_METRICS_TOKEN": "METRICS_TOKEN",
    "WIJKSTEM_METRICS_ALLOW": "METRICS_ALLOW",
    "WIJKSTEM_LOG_FORMAT": "LOG_FORMAT",
    "WIJKSTEM_DATABASE_PREPARED_STATEMENTS": "DATABASE_PREPARED_STATEMENTS",
}
#: Settings read from the environment as whole numbers.
INTEGER_SETTINGS = {"RETENTION_INTERVAL_SECONDS", "S3_MAX_CONNECTIONS", "VOICE_BYTES_PER_ADDRESS_HOUR",
                    "VOICE_BYTES_PER_FLYER_HOUR", "RESULTS_REFRESH_SECONDS", "JOBS_TIMEOUT_SECONDS",
                    "EXPORT_STREAM_RESPONSES", "EXPORT_STREAM_RECORDINGS", "EXPORT_KEEP_HOURS"}

#: Settings read from the environment as on or off.
BOOLEAN_SETTINGS = {"DATABASE_PREPARED_STATEMENTS"}
#: How a setting of `BOOLEAN_SETTINGS` may be written, and what each means.
BOOLEAN_WORDS = {"on": True, "true": True, "yes": True, "1": True,
                 "off": False, "false": False, "no": False, "0": False}


def environment_overrides() -> dict:
    """Settings given in the environment, keyed by their config name."""
    given = {env: (key, os.environ[env]) for env, key in ENV_OVERRIDES.items() if os.environ.get(env)}
    return {key: setting_value(env, key, value) for env, (key, value) in given.items()}


def setting_value(env: str, key: str, value: str) -> int | bool | str:
    """A setting's value from its text in the environment variable `env`.

    :raise RuntimeError: an on-or-off setting written as neither (a typo must not switch it on or off unseen).
    """
    if key in INTEGER_SETTINGS:
        return int(value)
    if key in BOOLEAN_SETTINGS:
        word = value.strip().lower()
        if word not in BOOLEAN_WORDS:
            raise RuntimeError(f"{env} must be on or off, not {value!r}")
        return BOOLEAN_WORDS[word]
    return value


def normalise_database_url(url: str) -> str:
    """Let `postgres://` and `postgresql://` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
