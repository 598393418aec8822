"""Every model, imported once so SQLAlchemy and Alembic know all tables."""

from .accounts.models import TeamMembership, User, UserSession
from .campaigns.models import Campaign, CampaignVersion, Source
from .devices.models import Device, EnrolmentCode
from .exports.models import ExportFile
from .jobs.models import Job
from .partners.models import Partnership, PartnershipGrant, PartnershipInvitation, SupportRequest, TextProposal
from .privacy.models import AuditEvent
from .reach.models import NeighbourhoodGroup, NeighbourhoodProfile
from .reporting.models import PublicReport
from .responses.models import Answer, ErasedResponse, Response, SyncConflict
from .results.models import AnswerRollup, ResponseRollup
from .review.models import ResponseTag, ReviewComment, Tag
from .search.models import SearchDocument
from .teams.models import Team
from .themes.models import Quote, Theme, ThemeBatch, ThemeLink
from .voice.models import UploadAllowance, VoiceNote
from .voicepacks.models import Clip

__all__ = [
           "Answer",
           "AnswerRollup",
           "AuditEvent",
           "Campaign",
           "CampaignVersion",
           "Clip",
           "Device",
           "EnrolmentCode",
           "ErasedResponse",
           "ExportFile",
           "Job",
           "NeighbourhoodGroup",
           "NeighbourhoodProfile",
           "Partnership",
           "PartnershipGrant",
           "PartnershipInvitation",
           "PublicReport",
           "Quote",
           "Response",
           "ResponseRollup",
           "ResponseTag",
           "ReviewComment",
           "SearchDocument",
           "Source",
           "SupportRequest",
           "SyncConflict",
           "Tag",
           "Team",
           "TeamMembership",
           "TextProposal",
           "Theme",
           "ThemeBatch",
           "ThemeLink",
           "UploadAllowance",
           "User",
           "UserSession",
           "VoiceNote",
]
