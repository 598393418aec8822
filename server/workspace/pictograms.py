"""The pictograms bundled with the field app (`pwa/pictograms/*.svg`) that choices may show."""

from flask_babel import gettext as _

from ..campaigns.schemas import KEY_PATTERN
from ..errors import N_
from ..paths import PWA_DIR

#: Names shown in the picker for the bundled pictograms; others show their file name.
PICTOGRAM_NAMES = {
    "tree": N_("tree"), "playground": N_("playground"), "bench": N_("bench"), "lamp": N_("street lamp"),
    "house": N_("house"), "market": N_("market"), "book": N_("book"), "bus": N_("bus"),
    "bicycle": N_("bicycle"), "bin": N_("rubbish bin"), "heart": N_("care and health"),
}


def available_pictograms() -> list[str]:
    """Names of the bundled pictograms, sorted (a name is the file name without ``.svg``)."""
    folder = PWA_DIR / "pictograms"
    return sorted(path.stem for path in folder.glob("*.svg") if KEY_PATTERN.match(path.stem))


def pictogram_name(name: str) -> str:
    return _(PICTOGRAM_NAMES[name]) if name in PICTOGRAM_NAMES else name


def pictogram_choices(definition: dict) -> list[str]:
    """The bundled pictograms plus any the campaign already uses, so editing never drops one."""
    used = {choice["pictogram"] for question in definition["questions"]
            for choice in question.get("choices", []) if choice.get("pictogram")}
    return sorted(set(available_pictograms()) | used)
