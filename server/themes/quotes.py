"""Quotes for the public results page: marking, texts per language, warnings, two-person approval (flush,
never commit).

The warnings are a reader's aid, not a filter: a quote with a number, an address-like phrase or a proper name
may still be approved by a second person who judged it harmless.
"""

import re

from flask import abort
from sqlalchemy import select

from ..errors import N_, ApiError
from ..extensions import db
from ..util import utcnow
from .models import Quote, Theme, ThemeLink

NUMBER = re.compile(r"\d")
#: Street words, and Dutch compounds ending in one (``Kerkstraat``, ``Dorpsplein``); a postcode.
ADDRESS = re.compile(
    r"\w*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|hof|park)\b"
    r"|\b(?:street|road|avenue|lane|square|sokak\w*|sok\.|cadde\w*|mahalle\w*|ulica|ulicy|ul\.|aleja|alei"
    r"|вулиц\w*|вул\.|проспект\w*|شارع|حي)\b"
    r"|\b\d{4}\s?[A-Z]{2}\b", re.IGNORECASE)
WORD = re.compile(r"\w+")
#: Words that are capitalised wherever they stand.
ALWAYS_CAPITAL = {"I", "Ik"}
#: What may come just before the first word of a sentence.
SENTENCE_START = ".!?…:\"'“”„«»(-–—¿¡"
WARNINGS = {"number": N_("It contains a number (a house number, an age, a date?)."),
            "address": N_("It contains something like an address or a street."),
            "name": N_("It contains a capitalised word in the middle of a sentence: a name?")}


def has_case(word: str) -> bool:
    """Scripts with capital letters (Latin, Cyrillic, Greek...); Arabic or Ge'ez script has none, so no name
    check is possible there."""
    return word[:1].lower() != word[:1].upper()


def proper_names(text: str) -> list[str]:
    """Capitalised words that do not start a sentence (in scripts that have capitals)."""
    names = []
    for match in WORD.finditer(text):
        word = match.group()
        if not has_case(word) or not word[0].isupper() or word in ALWAYS_CAPITAL:
            continue
        before = text[:match.start()].rstrip()
        if before and before[-1] not in SENTENCE_START:
            names.append(word)
    return names


def quote_warnings(text: str) -> list[str]:
    """Codes of `WARNINGS` that apply to `text`."""
    found = []
    if NUMBER.search(text):
        found.append("number")
    if ADDRESS.search(text):
        found.append("address")
    if proper_names(text):
        found.append("name")
    return found


def quoted_links(link_ids: list[int]) -> dict[int, Quote]:
    """``{link id: quote}`` for the links among `link_ids` that are quoted."""
    if not link_ids:
        return {}
    return {quote.link_id: quote for quote in db.session.scalars(select(Quote).where(Quote.link_id.in_(link_ids)))}


def campaign_quotes(campaign_id) -> list[Quote]:
    return list(db.session.scalars(select(Quote).where(Quote.campaign_id == campaign_id).order_by(Quote.id)))


def campaign_quote(campaign, quote_id: int) -> Quote:
    """:raise 404: no such quote in this campaign."""
    quote = db.session.get(Quote, quote_id)
    if quote is None or quote.campaign_id != campaign.id:
        abort(404)
    return quote


def mark_quote(link: ThemeLink, campaign, language: str, user) -> Quote:
    """Choose a fragment as a quote, with its own words as the text in the resident's language.

    :raise ApiError 422: the link is a whole response, or its words are no longer in its text.
    """
    if not link.is_fragment or not link.quoted_text:
        raise ApiError(422, "not_a_fragment", N_("Only a fragment (chosen words) can be a quote."))
    existing = db.session.scalar(select(Quote).where(Quote.link_id == link.id))
    if existing is not None:
        return existing
    texts = {language: link.quoted_text} if link.source_kind in ("answer", "transcript") else {}
    quote = Quote(link_id=link.id, campaign_id=campaign.id, texts=texts, marked_by=user.id)
    db.session.add(quote)
    db.session.flush()
    return quote


def save_quote_texts(quote: Quote, texts: dict, languages: list[str], user) -> bool:
    """Keep the texts of the campaign languages; a change takes back the approval (a second person must read
    the new words) and makes the editor the one who marked it. Returns whether anything changed."""
    kept = {code: texts[code].strip() for code in languages if (texts.get(code) or "").strip()}
    if kept == quote.texts:
        return False
    quote.texts = kept
    quote.approved_at = quote.approved_by = None
    quote.marked_by = user.id
    db.session.flush()
    return True


def approve_quote(quote: Quote, user) -> None:
    """Make the quote public.

    :raise ApiError 409: the approver marked or last edited it, it has no text, or its words left the text.
    """
    if quote.marked_by == user.id:
        raise ApiError(409, "same_person", N_("Another coordinator or an admin must approve this quote."))
    if not quote.texts:
        raise ApiError(409, "quote_empty", N_("Write the quote's text first."))
    if quote.link.start_offset is None:
        raise ApiError(409, "quote_detached", N_("These words are no longer in the text; mark them again."))
    quote.approved_by, quote.approved_at = user.id, utcnow()
    db.session.flush()


def withdraw_quote(quote: Quote) -> None:
    db.session.delete(quote)
    db.session.flush()


def public_quotes(campaign_id, language: str, fallback: str) -> list[tuple[Theme, str, str]]:
    """Approved quotes still in their text: ``(theme, text, language of the text)``, in `language` where
    written, else in the main language."""
    rows = db.session.execute(select(Quote, Theme).join(ThemeLink, ThemeLink.id == Quote.link_id)
                              .join(Theme, Theme.id == ThemeLink.theme_id)
                              .where(Quote.campaign_id == campaign_id, Quote.approved_at.is_not(None),
                                     ThemeLink.start_offset.is_not(None))
                              .order_by(Theme.id, Quote.approved_at, Quote.id)).all()
    shown = []
    for quote, theme in rows:
        code = language if quote.texts.get(language) else fallback
        if quote.texts.get(code):
            shown.append((theme, quote.texts[code], code))
    return shown
