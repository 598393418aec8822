"""What the exports carry about themes: a column per theme, the codebook, and the quotes with their fragments.

Every cell goes through `server.spreadsheet.safe_row` (theme names and quotes are typed by people).
"""

from sqlalchemy import select

from ..extensions import db
from ..spreadsheet import safe_row
from .models import Quote, Theme, ThemeLink
from .operations import campaign_themes, languages_of, theme_response_counts

CODEBOOK_HEADER = ("theme_id", "colour", "responses")
QUOTES_HEADER = ("quote_id", "theme_id", "theme", "response_id", "source", "start", "end", "resident_words",
                 "approved_at")


def theme_column_name(theme: Theme, language: str) -> str:
    return f"theme_{theme.id}_{theme.label(language)}"


def themes_of(raw_ids_query) -> dict:
    """``{raw response id: {theme id, ...}}`` for the responses of `raw_ids_query` (raw id, theme id)."""
    found: dict = {}
    for response_id, theme_id in db.session.connection().execute(raw_ids_query).all():
        found.setdefault(response_id, set()).add(theme_id)
    return found


def codebook_rows(campaign) -> list[list]:
    """The codebook as rows: id, colour, responses, then name and description per campaign language."""
    languages = languages_of(campaign)
    counts = theme_response_counts(campaign.id)
    header = [*CODEBOOK_HEADER, *(f"name_{code}" for code in languages),
              *(f"description_{code}" for code in languages)]
    rows = [header]
    for theme in campaign_themes(campaign.id):
        rows.append(safe_row([theme.id, theme.colour, counts.get(theme.id, 0),
                              *(theme.name.get(code) for code in languages),
                              *(theme.description.get(code) for code in languages)]))
    return rows


def quote_rows(campaign) -> list[list]:
    """The quotes with their fragments: where the words are, the resident's exact words, the texts per language
    and whether (when) a second person approved them."""
    languages = languages_of(campaign)
    main = campaign.definition.get("default_language", "nl")
    rows = [[*QUOTES_HEADER, *(f"text_{code}" for code in languages)]]
    found = db.session.execute(select(Quote, ThemeLink, Theme).join(ThemeLink, ThemeLink.id == Quote.link_id)
                               .join(Theme, Theme.id == ThemeLink.theme_id)
                               .where(Quote.campaign_id == campaign.id).order_by(Quote.id)).all()
    for quote, link, theme in found:
        rows.append(safe_row([quote.id, theme.id, theme.label(main), str(link.response_id), link.source_kind,
                              link.start_offset, link.end_offset, link.quoted_text,
                              quote.approved_at.isoformat() if quote.approved_at else None,
                              *(quote.texts.get(code) for code in languages)]))
    return rows
