"""The codebook page, themes on a response, bulk attach with undo, and the quotes.

Every team member reads the codebook and the quotes; coordinators and admins change them. A quote is approved by
a second person (another coordinator or an admin); approving and withdrawing quotes go into the audit log.
"""

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..accounts.auth import current_user, login_required, require_campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..forms import form_data, form_error, load_form
from ..i18n import LANGUAGES
from ..pages import install_page_handlers, render_page, safe_next
from ..privacy.operations import record_event
from ..review.operations import campaign_response
from ..review.views import filter_args, invalid_form, read_filters
from .models import Theme
from .operations import (
    attach,
    bulk_attach,
    bulk_counts,
    campaign_batch,
    campaign_theme,
    campaign_themes,
    delete_theme,
    languages_of,
    recent_batches,
    remove_link,
    response_link,
    save_theme,
    theme_response_counts,
    undo_batch,
)
from .quotes import (
    WARNINGS,
    approve_quote,
    campaign_quote,
    campaign_quotes,
    mark_quote,
    quote_warnings,
    save_quote_texts,
    withdraw_quote,
)
from .schemas import attach_form_schema, bulk_form_schema, quote_form_schema, theme_form_schema
from .suggestions import campaign_suggestions

themes_blueprint = Blueprint("themes", __name__, url_prefix="/workspace/campaigns/<uuid:campaign_id>")
install_page_handlers(themes_blueprint)


def codebook_page(campaign, status=200, values=None, errors=None, notice=None):
    return render_page("themes/codebook.html", status=status, campaign=campaign,
                       themes=campaign_themes(campaign.id), counts=theme_response_counts(campaign.id),
                       languages=languages_of(campaign), language_names=LANGUAGES,
                       suggestions=campaign_suggestions(campaign.id), batches=recent_batches(campaign.id),
                       values=values or {"colour": "#1f6feb"}, errors=errors or {}, notice=notice)


@themes_blueprint.get("/themes")
@login_required
def codebook(campaign_id):
    return codebook_page(require_campaign(campaign_id), notice=request.args.get("done"))


def stored_theme(campaign, theme: Theme, page):
    """Validate the posted theme form and store it; the form again (422) when it is not valid."""
    data = form_data()
    values, errors = load_form(theme_form_schema, data)
    if not errors:
        try:
            save_theme(theme, campaign, values)
        except ApiError as err:
            errors = form_error(err.field or "", _(err.message))
    if errors:
        db.session.rollback()
        return page(422, data, errors)
    db.session.commit()
    return redirect(url_for("themes.codebook", campaign_id=campaign.id, done="saved"), code=303)


@themes_blueprint.post("/themes")
@login_required
def create(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    return stored_theme(campaign, Theme(), lambda status, values, errors: codebook_page(campaign, status, values,
                                                                                         errors))


def theme_page(campaign, theme, status=200, values=None, errors=None):
    values = values or {"name": theme.name, "description": theme.description, "colour": theme.colour}
    return render_page("themes/theme.html", status=status, campaign=campaign, theme=theme,
                       languages=languages_of(campaign), language_names=LANGUAGES, values=values,
                       errors=errors or {})


@themes_blueprint.get("/themes/<int:theme_id>")
@login_required
def edit(campaign_id, theme_id):
    campaign = require_campaign(campaign_id, write=True)
    return theme_page(campaign, campaign_theme(campaign, theme_id))


@themes_blueprint.post("/themes/<int:theme_id>")
@login_required
def save(campaign_id, theme_id):
    campaign = require_campaign(campaign_id, write=True)
    theme = campaign_theme(campaign, theme_id)
    return stored_theme(campaign, theme, lambda status, values, errors: theme_page(campaign, theme, status, values,
                                                                                    errors))


@themes_blueprint.post("/themes/<int:theme_id>/delete")
@login_required
def delete(campaign_id, theme_id):
    campaign = require_campaign(campaign_id, write=True)
    delete_theme(campaign_theme(campaign, theme_id))
    db.session.commit()
    return redirect(url_for("themes.codebook", campaign_id=campaign.id, done="deleted"), code=303)


# --- on one response -----------------------------------------------------------------------------------

def response_url(campaign, response_id) -> str:
    return url_for("review.response", campaign_id=campaign.id, response_id=response_id)


@themes_blueprint.post("/responses/<uuid:response_id>/themes")
@login_required
def attach_theme(campaign_id, response_id):
    """A theme on the whole response, or on words of one of its texts."""
    campaign = require_campaign(campaign_id, write=True)
    response = campaign_response(campaign, response_id)
    values, errors = load_form(attach_form_schema, form_data())
    if errors:
        invalid_form(errors)
    attach(campaign_theme(campaign, values["theme"]), response, values, current_user())
    db.session.commit()
    return redirect(safe_next(values["return_to"], response_url(campaign, response.id)) + "#themes", code=303)


@themes_blueprint.post("/responses/<uuid:response_id>/themes/<int:link_id>/remove")
@login_required
def detach_theme(campaign_id, response_id, link_id):
    campaign = require_campaign(campaign_id, write=True)
    response = campaign_response(campaign, response_id)
    remove_link(response_link(response, link_id))
    db.session.commit()
    return redirect(response_url(campaign, response.id) + "#themes", code=303)


@themes_blueprint.post("/responses/<uuid:response_id>/themes/<int:link_id>/quote")
@login_required
def quote_fragment(campaign_id, response_id, link_id):
    """Mark a fragment as a quote for the public page (it waits for a second person's approval)."""
    campaign = require_campaign(campaign_id, write=True)
    response = campaign_response(campaign, response_id)
    quote = mark_quote(response_link(response, link_id), campaign, response.language, current_user())
    db.session.commit()
    return redirect(url_for("themes.quotes", campaign_id=campaign.id) + f"#quote-{quote.id}", code=303)


# --- in bulk, from the inbox's filters -------------------------------------------------------------------

def bulk_filters(source: MultiDict) -> tuple[dict, dict]:
    filters, errors = read_filters(source)
    if errors:
        raise ApiError(422, "invalid_input", N_("Some of the filters are not valid."))
    filters["after"] = filters["before"] = None
    return filters, filter_args(filters)


@themes_blueprint.get("/themes/bulk")
@login_required
def bulk(campaign_id):
    """How many responses the inbox's filters match, and how many would get the theme: asked before acting."""
    campaign = require_campaign(campaign_id, write=True)
    filters, args = bulk_filters(request.args)
    values, errors = load_form(bulk_form_schema, {"theme": request.args["theme"]}) \
        if request.args.get("theme") else (None, {})
    theme = campaign_theme(campaign, values["theme"]) if values else None
    total, new = bulk_counts(campaign.id, filters, theme)
    return render_page("themes/bulk.html", status=422 if errors else 200, campaign=campaign, theme=theme,
                       themes=campaign_themes(campaign.id), args=args, total=total, new=new, errors=errors)


@themes_blueprint.post("/themes/bulk")
@login_required
def bulk_apply(campaign_id):
    """Attach the theme to every matching response in one statement; the page after offers undo."""
    campaign = require_campaign(campaign_id, write=True)
    form = request.form.copy()
    form.pop("csrf_token", None)
    filters, args = bulk_filters(form)
    values, errors = load_form(bulk_form_schema, {k: form[k] for k in ("theme", "expected") if form.get(k)})
    if errors:
        invalid_form(errors)
    theme = campaign_theme(campaign, values["theme"])
    if values["expected"] is not None and bulk_counts(campaign.id, filters, theme)[1] != values["expected"]:
        raise ApiError(409, "count_changed", N_("The responses changed meanwhile: check the count again."))
    batch = bulk_attach(theme, campaign.id, filters, args, current_user())
    db.session.commit()
    return redirect(url_for("themes.batch", campaign_id=campaign.id, batch_id=batch.id), code=303)


@themes_blueprint.get("/themes/batches/<int:batch_id>")
@login_required
def batch(campaign_id, batch_id):
    campaign = require_campaign(campaign_id, write=True)
    found = campaign_batch(campaign, batch_id)
    return render_page("themes/batch.html", campaign=campaign, batch=found,
                       theme=campaign_theme(campaign, found.theme_id))


@themes_blueprint.post("/themes/batches/<int:batch_id>/undo")
@login_required
def undo(campaign_id, batch_id):
    campaign = require_campaign(campaign_id, write=True)
    undo_batch(campaign_batch(campaign, batch_id))
    db.session.commit()
    return redirect(url_for("themes.batch", campaign_id=campaign.id, batch_id=batch_id), code=303)


# --- quotes --------------------------------------------------------------------------------------------

def quotes_page(campaign, status=200, errors=None, values=None, notice=None):
    quotes = campaign_quotes(campaign.id)
    warnings = {quote.id: sorted({code for text in [quote.link.quoted_text or "", *quote.texts.values()]
                                  for code in quote_warnings(text)}) for quote in quotes}
    return render_page("themes/quotes.html", status=status, campaign=campaign, quotes=quotes, warnings=warnings,
                       warning_texts=WARNINGS, languages=languages_of(campaign), language_names=LANGUAGES,
                       errors=errors or {}, values=values or {}, notice=notice, user=current_user())


@themes_blueprint.get("/quotes")
@login_required
def quotes(campaign_id):
    return quotes_page(require_campaign(campaign_id), notice=request.args.get("done"))


@themes_blueprint.post("/quotes/<int:quote_id>")
@login_required
def save_quote(campaign_id, quote_id):
    campaign = require_campaign(campaign_id, write=True)
    quote = campaign_quote(campaign, quote_id)
    data = form_data()
    values, errors = load_form(quote_form_schema, data)
    if errors:
        return quotes_page(campaign, 422, {f"{quote.id}.{k}": v for k, v in errors.items()})
    save_quote_texts(quote, values["texts"], languages_of(campaign), current_user())
    db.session.commit()
    return redirect(url_for("themes.quotes", campaign_id=campaign.id, done="saved") + f"#quote-{quote.id}",
                    code=303)


@themes_blueprint.post("/quotes/<int:quote_id>/approve")
@login_required
def approve(campaign_id, quote_id):
    campaign = require_campaign(campaign_id, write=True)
    quote = campaign_quote(campaign, quote_id)
    try:
        approve_quote(quote, current_user())
    except ApiError as err:
        db.session.rollback()
        return quotes_page(campaign, err.status, {f"{quote_id}.approve": [_(err.message)]})
    record_event("publish_quote", campaign, "quote", quote.id, current_user(), theme=quote.link.theme_id)
    db.session.commit()
    return redirect(url_for("themes.quotes", campaign_id=campaign.id, done="approved") + f"#quote-{quote.id}",
                    code=303)


@themes_blueprint.post("/quotes/<int:quote_id>/withdraw")
@login_required
def withdraw(campaign_id, quote_id):
    campaign = require_campaign(campaign_id, write=True)
    quote = campaign_quote(campaign, quote_id)
    was_public = quote.approved_at is not None
    withdraw_quote(quote)
    if was_public:
        record_event("withdraw_quote", campaign, "quote", quote_id, current_user())
    db.session.commit()
    return redirect(url_for("themes.quotes", campaign_id=campaign.id, done="withdrawn"), code=303)
