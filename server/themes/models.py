"""Themes (a campaign's codebook), their links to responses and fragments, bulk batches, and public quotes."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

NAME_MAX_LENGTH = 60
DESCRIPTION_MAX_LENGTH = 300
QUOTE_MAX_LENGTH = 600
#: Where a fragment's words come from: a typed answer or its translation, a voice note's transcript or its
#: translation; ``response`` links the whole response.
SOURCE_KINDS = ("response", "answer", "answer_translation", "transcript", "translation")


class Theme(db.Model):
    """One entry of a campaign's codebook, e.g. "street lighting", named in each campaign language."""

    __tablename__ = "themes"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign whose codebook it belongs to.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: Name per language: ``{"nl": "Straatverlichting", "ar": "..."}``.
    name = db.Column(db.JSON, nullable=False, default=dict)
    #: Short description per language (what belongs under the theme).
    description = db.Column(db.JSON, nullable=False, default=dict)
    #: Colour as ``#rrggbb``.
    colour = db.Column(db.String(7), nullable=False, default="#1f6feb")
    #: When it was made.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    def label(self, language: str, fallback: str = "nl") -> str:
        """The name in `language`, else the main language's, else any."""
        return self.name.get(language) or self.name.get(fallback) or next(iter(self.name.values()), "")


class ThemeBatch(db.Model):
    """One bulk attach ("add this theme to these 37 answers"): what undo takes back."""

    __tablename__ = "theme_batches"

    #: Database id (the batch id undo names).
    id = db.Column(db.Integer, primary_key=True)
    #: The theme attached.
    theme_id = db.Column(db.Integer, db.ForeignKey("themes.id", ondelete="CASCADE"), nullable=False, index=True)
    #: Who attached it (``None`` once the account is removed).
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The inbox filters that chose the responses, as URL arguments.
    filters = db.Column(db.JSON, nullable=False, default=dict)
    #: How many responses the batch added the theme to.
    added = db.Column(db.Integer, nullable=False, default=0)
    #: When it was made.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: When it was undone (its links are gone), or ``None``.
    undone_at = db.Column(UTCDateTime, nullable=True)


class ThemeLink(db.Model):
    """A theme on a whole response, or on a fragment of what a resident said (its exact words kept)."""

    __tablename__ = "theme_links"
    __table_args__ = (db.Index("ix_theme_links_theme_response", "theme_id", "response_id"),)

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The theme.
    theme_id = db.Column(db.Integer, db.ForeignKey("themes.id", ondelete="CASCADE"), nullable=False)
    #: The response; erasing it removes its links (and so their quotes).
    response_id = db.Column(db.Uuid, db.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: One of `SOURCE_KINDS`.
    source_kind = db.Column(db.String(24), nullable=False, default="response")
    #: The typed answer a fragment is from (``answer``, ``answer_translation``).
    answer_id = db.Column(db.Integer, db.ForeignKey("answers.id", ondelete="CASCADE"), nullable=True, index=True)
    #: The voice note a fragment is from (``transcript``, ``translation``).
    voice_note_id = db.Column(db.Uuid, db.ForeignKey("voice_notes.id", ondelete="CASCADE"), nullable=True,
                              index=True)
    #: Character offsets of the fragment in its text; ``None`` once an edit removed its words.
    start_offset = db.Column(db.Integer, nullable=True)
    end_offset = db.Column(db.Integer, nullable=True)
    #: The fragment's exact words when it was marked (a quote keeps them whatever happens to the offsets).
    quoted_text = db.Column(db.Text, nullable=True)
    #: The bulk attach that made it (undo removes exactly these), or ``None``.
    batch_id = db.Column(db.Integer, db.ForeignKey("theme_batches.id", ondelete="CASCADE"), nullable=True,
                         index=True)
    #: Who attached it.
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: When it was attached.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    theme = db.relationship("Theme")

    @property
    def is_fragment(self) -> bool:
        return self.source_kind != "response"


class Quote(db.Model):
    """A fragment chosen for the public results page, with its translations; public once a second person
    approved it."""

    __tablename__ = "quotes"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The fragment quoted; erasing its response removes the quote at once.
    link_id = db.Column(db.Integer, db.ForeignKey("theme_links.id", ondelete="CASCADE"), nullable=False,
                        unique=True)
    #: The campaign (for its list of quotes).
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: The words shown per page language: ``{"nl": "...", "ar": "..."}``.
    texts = db.Column(db.JSON, nullable=False, default=dict)
    #: Who marked it (``None`` once the account is removed).
    marked_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: Who approved it: another coordinator or an admin, never the one who marked it.
    approved_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: When it was approved (public from then on); ``None`` while it waits, or after its texts changed.
    approved_at = db.Column(UTCDateTime, nullable=True)
    #: When it was marked.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    link = db.relationship("ThemeLink")
