"""Every model, imported once so SQLAlchemy and Alembic know all tables."""

from .accounts.models import TeamMembership, User, UserSession
from .campaigns.models import Campaign, CampaignVersion, PromptAudio, Source
from .devices.models import Device, EnrolmentCode
from .privacy.models import AuditEvent
from .responses.models import Answer, Response, SyncConflict
from .review.models import ResponseTag, ReviewComment, Tag
from .teams.models import Team
from .voice.models import VoiceNote

__all__ = ["Answer", "AuditEvent", "Campaign", "CampaignVersion", "Device", "EnrolmentCode", "PromptAudio",
           "Response", "ResponseTag", "ReviewComment", "Source", "SyncConflict", "Tag", "Team", "TeamMembership",
           "User", "UserSession", "VoiceNote"]
