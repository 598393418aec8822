"""The export formats, each a generator of bytes: CSV and JSON stream as they go, XLSX goes through a
temporary file written in xlsxwriter's constant-memory mode, the voice notes' zip streams file by file."""

import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterator

import orjson
import xlsxwriter

from ..spreadsheet import safe_row
from ..storage import media_store
from ..themes.exports import codebook_rows, quote_rows
from ..themes.operations import campaign_themes
from ..voice.operations import served_content_type
from ..voice.timing import stored_file
from .operations import export_batches, flat_rows, header, json_record, question_columns, source_names, voice_files

XLSX_MAX_ROWS = 1_048_576
CHUNK = 64 * 1024


def csv_chunks(campaign, filters: dict, batch_size: int) -> Iterator[bytes]:
    columns, names = question_columns(campaign), source_names(campaign)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer.writerow(header(columns))
    for batch in export_batches(campaign, filters, batch_size):
        writer.writerows(flat_rows(batch, columns, names))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(campaign, filters: dict, batch_size: int) -> Iterator[bytes]:
    names = source_names(campaign)
    main = campaign.definition.get("default_language", "nl")
    theme_names = {theme.id: theme.label(main) for theme in campaign_themes(campaign.id)}
    yield b"["
    first = True
    for batch in export_batches(campaign, filters, batch_size):
        parts = []
        for row in batch.rows:
            record = json_record(row, batch.answers.get(row[0], {}), batch.tags.get(row[0]),
                                 batch.voice.get(row[0], {}), names,
                                 sorted(theme_names[t] for t in batch.themes.get(row[0], ()) if t in theme_names))
            parts.append(orjson.dumps(record))
        if parts:
            yield (b"\n" if first else b",\n") + b",\n".join(parts)
            first = False
    yield b"\n]\n"


def xlsx_chunks(campaign, filters: dict, batch_size: int) -> Iterator[bytes]:
    """Write the workbook to a temporary file (constant memory), then send it; the file is removed after."""
    columns, names = question_columns(campaign), source_names(campaign)
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="wijkstem-export-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        titles = header(columns)
        sheet, line = None, XLSX_MAX_ROWS
        for batch in export_batches(campaign, filters, batch_size):
            for cells in flat_rows(batch, columns, names):
                if line == XLSX_MAX_ROWS:
                    sheet, line = workbook.add_worksheet(), 1
                    sheet.write_row(0, 0, titles)
                sheet.write_row(line, 0, cells)
                line += 1
        if sheet is None:
            workbook.add_worksheet().write_row(0, 0, titles)
        write_sheet(workbook, "codebook", codebook_rows(campaign))
        write_sheet(workbook, "quotes", quote_rows(campaign))
        workbook.close()
        with open(path, "rb") as built:
            yield from iter(lambda: built.read(CHUNK), b"")
    finally:
        os.unlink(path)


def write_sheet(workbook, name: str, rows: list[list]) -> None:
    """A sheet of its own (the codebook, the quotes); its rows are already escaped."""
    sheet = workbook.add_worksheet(name)
    for line, cells in enumerate(rows):
        sheet.write_row(line, 0, cells)


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return "\ufeff" + buffer.getvalue()


class ZipOutput:
    """A write-only stream that zipfile writes into and the response reads from between files."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a", "audio/wav": "wav"}


def entry_name(note, row, question_keys: set, extension: str) -> str:
    """A zip entry's name, made only of values the server made: the date, the ids and the question's key as
    the campaign defines it (a key the campaign does not define, as an old note may carry, is left out)."""
    question = note.question_key if note.question_key in question_keys else "question"
    return f"{row[1]:%Y-%m-%d}_{note.response_id}_{question}_{note.id.hex[:8]}.{extension}"


def zip_entry(name: str, size: int, when) -> zipfile.ZipInfo:
    """A stored (uncompressed: Opus and AAC do not shrink) zip entry of `size` bytes dated `when`."""
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.file_size, info.compress_type = size, zipfile.ZIP_STORED
    return info


def zip_chunks(campaign, filters: dict, batch_size: int) -> Iterator[bytes]:
    """The recordings, plus `voice-notes.csv` that says which is which, and the codebook of themes
    and the quotes (`codebook.csv`, `quotes.csv`, first).

    Each file is the recording as the phone sent it, or its timed copy where the phone's file states no duration
    (the same audio remuxed, `voice/timing.py`); `sha256` is always that of the file the phone sent.
    """
    output = ZipOutput()
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["file", "response_id", "question", "received_at", "language", "duration_ms", "transcript",
                     "translation", "sha256", "remuxed"])
    question_keys = {column.question for column in question_columns(campaign) if column.kind != "theme"}
    store = media_store()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("codebook.csv", csv_text(codebook_rows(campaign)))
        archive.writestr("quotes.csv", csv_text(quote_rows(campaign)))
        for batch in voice_files(campaign, filters, batch_size):
            for note, row in batch:
                found = stored_file(note)
                if found is None:
                    continue
                stored, size = found
                extension = EXTENSIONS.get(served_content_type(note), "bin")
                name = entry_name(note, row, question_keys, extension)
                with archive.open(zip_entry(name, size, note.created_at), "w") as entry:
                    for block in store.stream(stored, 0, size):
                        entry.write(block)
                        yield output.take()
                writer.writerow(safe_row([name, str(note.response_id), note.question_key, row[1].isoformat(),
                                          row[4], note.duration_ms, note.transcript or "", note.translation or "",
                                          note.sha256, "yes" if stored != note.storage_name else "no"]))
                yield output.take()
        archive.writestr("voice-notes.csv", "\ufeff" + index.getvalue())
    yield output.take()


#: Each format's generator, content type and file extension (streamed by `views.export`, or written into the
#: store by the ``export_file`` job, `files.py`).
FORMATS = {
    "csv": (csv_chunks, "text/csv", "csv"),
    "xlsx": (xlsx_chunks, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": (json_chunks, "application/json", "json"),
    "zip": (zip_chunks, "application/zip", "zip"),
}
