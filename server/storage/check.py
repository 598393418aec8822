"""`wijkstem storage check`: files the store holds that no row names, and rows whose file the store lacks."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ..exports.models import ExportFile
from ..extensions import db
from ..util import utcnow
from ..voice.models import VoiceNote
from ..voicepacks.models import Clip
from . import StoredFile, media_store


@dataclass
class StorageReport:
    """What `check_storage` found."""

    #: Stored files (and S3 upload parts) that no row names.
    orphans: list[StoredFile] = field(default_factory=list)
    #: (table, row id, file name) of rows whose file is not in the store.
    missing: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.orphans and not self.missing


def expected_files() -> tuple[dict, set]:
    """Name -> (table, id) of every file a row says is whole, and the names of uploads under way."""
    whole, uploading = {}, set()
    notes = db.session.execute(select(VoiceNote.id, VoiceNote.storage_name, VoiceNote.playback_name,
                                      VoiceNote.timed_name, VoiceNote.state, VoiceNote.received_bytes,
                                      VoiceNote.audio_deleted_at))
    for note_id, name, playback, timed, state, received, deleted in notes:
        if deleted is not None:
            continue
        if state == "complete":
            whole[name] = ("voice_notes", str(note_id))
        elif received > 0:
            uploading.add(name)
        for derived in (playback, timed):  # the playback copy (`review.playback`), the timed copy (`voice.timing`)
            if derived:
                whole[derived] = ("voice_notes", str(note_id))
    for clip_id, name in db.session.execute(select(Clip.id, Clip.storage_name)):
        whole[name] = ("clips", str(clip_id))
    for export_id, name in db.session.execute(select(ExportFile.id, ExportFile.storage_name)
                                              .where(ExportFile.storage_name.is_not(None))):
        whole[name] = ("export_files", str(export_id))
    return whole, uploading


def check_storage() -> StorageReport:
    """Compare the store with the rows. An upload under way is a whole file on the local backend and parts on
    S3; either is expected while its note is being uploaded, and neither is missing until it completes."""
    whole, uploading = expected_files()
    report, seen = StorageReport(), set()
    for item in media_store().files():
        if item.part and item.name in uploading:
            continue
        if not item.part and (item.name in whole or item.name in uploading):
            seen.add(item.name)
            continue
        report.orphans.append(item)
    report.missing = [(table, row, name) for name, (table, row) in sorted(whole.items()) if name not in seen]
    return report


def delete_orphans(report: StorageReport, older_than: timedelta) -> int:
    """Delete the orphans older than `older_than` (younger ones may belong to a request under way)."""
    cutoff, store, count = utcnow() - older_than, media_store(), 0
    for item in report.orphans:
        if item.modified < cutoff:
            if item.part:
                store.discard_parts(item.name)
            else:
                store.delete(item.name)
            count += 1
    return count
