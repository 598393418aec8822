"""A campaign's public results page: its code, its texts, online or not (flush, never commit)."""

from sqlalchemy import select

from ..errors import N_, ApiError
from ..extensions import db
from ..util import human_code, utcnow
from .models import PublicReport


def report_for(campaign) -> PublicReport:
    """The campaign's public page, made (offline, with a fresh code) on first use."""
    report = db.session.get(PublicReport, campaign.id)
    if report is None:
        report = PublicReport(campaign_id=campaign.id, code=unused_code(), next_steps={})
        db.session.add(report)
        db.session.flush()
    return report


def unused_code() -> str:
    while True:
        code = human_code(8)
        if db.session.scalar(select(PublicReport.campaign_id).where(PublicReport.code == code)) is None:
            return code


def save_next_steps(report: PublicReport, texts: dict[str, str], languages: list[str]) -> None:
    """Keep the "what we will do next" text of each campaign language (empty ones are dropped)."""
    report.next_steps = {code: texts[code].strip() for code in languages if texts.get(code, "").strip()}
    report.updated_at = utcnow()
    db.session.flush()


def publish_report(report: PublicReport, campaign) -> None:
    """Put the page online.

    :raise ApiError 409: the campaign was never published, or the main language has no "next" text.
    """
    if not campaign.current_version:
        raise ApiError(409, "campaign_not_published", N_("Publish the campaign before its results page."))
    if not report.next_steps.get(campaign.definition.get("default_language", "nl")):
        raise ApiError(409, "next_steps_missing",
                       N_("Write what the team will do next, at least in the campaign's main language."),
                       field="next_steps")
    report.published_at = report.published_at or utcnow()
    db.session.flush()


def unpublish_report(report: PublicReport) -> None:
    report.published_at = None
    db.session.flush()


def published_report(code: str) -> PublicReport | None:
    """The page with this public code, if it is online."""
    report = db.session.scalar(select(PublicReport).where(PublicReport.code == code.upper()[:16]))
    return report if report is not None and report.published_at is not None else None
