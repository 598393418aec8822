"""Words and two-word phrases residents use most, per language, that no theme covers yet.

Words are lower-cased, stop words dropped (the `stop-words` package's lists, where the language has one) and
stemmed with Snowball (`snowballstemmer`, where the language has a stemmer), so "lamp", "lampen" and "lampje"
count together. A phrase is two such words with only stop words between them ("straatverlichting [is]
kapot"), never across punctuation.

A theme *covers* a stem in a language when the stem is in a theme's name or description, or in the words of a
fragment with a theme, or when at least half of the responses that use it already carry a theme: then what
residents say with that word is being coded already.
"""

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from sqlalchemy import select, union_all
from stop_words import LANGUAGE_MAPPING, get_stop_words

from ..extensions import db
from ..responses.models import Answer, Response
from ..voice.models import VoiceNote
from .models import Theme, ThemeLink

#: Words, and the punctuation between them.
TOKEN = re.compile(r"\w+|[^\w\s]")

#: Snowball's algorithm per campaign language (languages without one are compared by their lower-case words).
STEMMERS = {"nl": "dutch", "en": "english", "tr": "turkish", "ar": "arabic", "pl": "polish"}
#: Texts read for suggestions, newest first: enough for any neighbourhood, and the page stays quick.
MAX_TEXTS = 20_000
SHOWN = 12
#: A covered stem: at least this share of the responses that use it carry a theme.
COVERED_SHARE = 0.5


@dataclass
class Suggestion:
    """A word or phrase: the form residents used most, in how many responses, and the stems it stands for."""

    words: str
    responses: int
    key: tuple


@lru_cache(maxsize=32)
def stemmer_for(language: str):
    name = STEMMERS.get(language)
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=32)
def stop_words_for(language: str) -> frozenset:
    if language not in LANGUAGE_MAPPING:
        return frozenset()
    return frozenset(word.casefold() for word in get_stop_words(language))


def tokens(text: str, language: str) -> list[tuple[str, str] | None]:
    """``(word, stem)`` per word in order, stop words left out; ``None`` where punctuation or a number stood
    (a phrase never spans it)."""
    stops, stemmer = stop_words_for(language), stemmer_for(language)
    found: list[tuple[str, str] | None] = []
    for match in TOKEN.finditer(text):
        word = match.group().casefold()
        if (not word[0].isalnum() and word[0] != "_") or word.isdigit():
            found.append(None)
        elif word not in stops and len(word) > 1:
            found.append((word, stemmer.stemWord(word) if stemmer else word))
    return found


def stems(text: str, language: str) -> set[str]:
    return {token[1] for token in tokens(text, language) if token}


def terms(text: str, language: str) -> dict[tuple, str]:
    """``{stem key: words}`` for every word and two-word phrase in `text`."""
    found: dict[tuple, str] = {}
    seen = tokens(text, language)
    for index, token in enumerate(seen):
        if token is None:
            continue
        found.setdefault((token[1],), token[0])
        following = seen[index + 1] if index + 1 < len(seen) else None
        if following is not None:
            found.setdefault((token[1], following[1]), f"{token[0]} {following[0]}")
    return found


def resident_texts(campaign_id) -> list[tuple]:
    """``(response id, language, text)`` of typed answers and transcripts of visible responses, newest first."""
    visible = [Response.campaign_id == campaign_id, Response.review_state != "hidden"]
    typed = select(Response.id, Response.language, Answer.text.label("text"), Response.received_at) \
        .join(Answer, Answer.response_id == Response.id).where(*visible, Answer.text.is_not(None))
    spoken = select(Response.id, Response.language, VoiceNote.transcript, Response.received_at) \
        .join(VoiceNote, VoiceNote.response_id == Response.id).where(*visible, VoiceNote.transcript.is_not(None))
    both = union_all(typed, spoken).subquery()
    return db.session.execute(select(both.c[0], both.c[1], both.c[2]).order_by(both.c[3].desc())
                              .limit(MAX_TEXTS)).all()


def covered_by_codebook(campaign_id) -> set[str]:
    """Stems of the themes' names and descriptions (in their languages) and of their fragments' words."""
    covered: set[str] = set()
    for theme in db.session.scalars(select(Theme).where(Theme.campaign_id == campaign_id)):
        for texts in (theme.name, theme.description):
            for language, text in texts.items():
                covered |= stems(text, language)
    fragments = db.session.execute(select(ThemeLink.quoted_text, Response.language)
                                   .join(Response, Response.id == ThemeLink.response_id)
                                   .where(Response.campaign_id == campaign_id,
                                          ThemeLink.quoted_text.is_not(None)))
    for text, language in fragments:
        covered |= stems(text, language)
    return covered


def themed_responses(campaign_id) -> set:
    return set(db.session.scalars(select(ThemeLink.response_id).join(Response, Response.id == ThemeLink.response_id)
                                  .where(Response.campaign_id == campaign_id).distinct()))


def campaign_suggestions(campaign_id, shown: int = SHOWN) -> dict[str, list[Suggestion]]:
    """``{language: [Suggestion, ...]}``: the most used words and phrases no theme covers, most used first."""
    counts: dict[str, Counter] = {}
    themed_counts: dict[str, Counter] = {}
    forms: dict[str, dict[tuple, Counter]] = {}
    themed = themed_responses(campaign_id)
    per_response: dict = {}
    for response_id, language, text in resident_texts(campaign_id):
        per_response.setdefault((response_id, language), {}).update(terms(text, language))
    for (response_id, language), found in per_response.items():
        counts.setdefault(language, Counter()).update(found.keys())
        if response_id in themed:
            themed_counts.setdefault(language, Counter()).update(found.keys())
        language_forms = forms.setdefault(language, {})
        for key, words in found.items():
            language_forms.setdefault(key, Counter())[words] += 1
    covered = covered_by_codebook(campaign_id)
    result = {}
    for language, counter in sorted(counts.items()):
        picked = []
        for key, count in sorted(counter.items(), key=lambda item: (-item[1], -len(item[0]), item[0])):
            if count < 2 or any(stem in covered for stem in key) or \
                    themed_counts.get(language, Counter())[key] >= COVERED_SHARE * count:
                continue
            picked.append(Suggestion(forms[language][key].most_common(1)[0][0], count, key))
            if len(picked) == shown:
                break
        if picked:
            result[language] = picked
    return result
