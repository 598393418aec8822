"""Metadata lives in setup.cfg; this only bundles the PWA and compiled catalogs into the package."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithAssets(build_py):
    """Copy `pwa/` and `translations/` into `server/bundled/` and compile the catalogs there."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "server" / "bundled"
        for name in ("pwa", "translations"):
            if Path(name).is_dir():
                shutil.copytree(name, target / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.mo"))
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in (target / "translations").glob("*/LC_MESSAGES/messages.po"):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with po_path.with_suffix(".mo").open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithAssets})
