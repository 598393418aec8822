"""Every model, imported once so SQLAlchemy and Alembic know all tables."""

from .accounts.models import TeamMembership, User, UserSession
from .campaigns.models import Campaign, CampaignVersion, PromptAudio, Source
from .devices.models import Device, EnrolmentCode
from .responses.models import Answer, Response, SyncConflict
from .teams.models import Team
from .voice.models import VoiceNote

__all__ = ["Answer", "Campaign", "CampaignVersion", "Device", "EnrolmentCode", "PromptAudio", "Response",
           "Source", "SyncConflict", "Team", "TeamMembership", "User", "UserSession", "VoiceNote"]
