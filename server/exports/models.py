"""Exports prepared in the background: a large campaign's file, kept in the store until it expires."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow, uuid7


class ExportFile(db.Model):
    """One export a person asked for that was too large to stream at once (`server.exports.files`): the
    ``export_file`` job writes it into the store (`server.storage`); only the person who asked for it downloads
    it, through the app, until `expires_at`; the retention sweep then deletes it, file and row."""

    __tablename__ = "export_files"
    __table_args__ = (db.Index("ix_export_files_campaign_user", "campaign_id", "requested_by"),)

    #: Public id in the download's address (never a token: the session and the campaign's permission decide).
    id = db.Column(db.Uuid, primary_key=True, default=uuid7)
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    #: Who asked for it; the only one who sees and downloads it (``None`` once the account is gone).
    requested_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: ``csv``, ``xlsx``, ``json`` or ``zip`` (`server.exports.views.FORMATS`).
    format = db.Column(db.String(8), nullable=False)
    #: The inbox's filters it was asked with (as in the audit log).
    filters = db.Column(db.JSON, nullable=False, default=dict)
    #: ``preparing`` (its job is pending, or failed: see `jobs`) or ``ready``.
    status = db.Column(db.String(16), nullable=False, default="preparing")
    #: The download's file name, made by the server.
    filename = db.Column(db.String(128), nullable=False)
    #: The file in the store, and its size, once ready.
    storage_name = db.Column(db.String(128), nullable=True)
    size = db.Column(db.BigInteger, nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    ready_at = db.Column(UTCDateTime, nullable=True)
    #: After this the retention sweep deletes it (`EXPORT_KEEP_HOURS` after it was asked for, and again after it
    #: was ready).
    expires_at = db.Column(UTCDateTime, nullable=False)
