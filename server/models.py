"""Every model, imported once so SQLAlchemy and Alembic know all tables."""

from .accounts.models import TeamMembership, User, UserSession
from .campaigns.models import Campaign, CampaignVersion, PromptAudio, Source
from .devices.models import Device, EnrolmentCode
from .reach.models import NeighbourhoodGroup, NeighbourhoodProfile
from .reporting.models import PublicReport
from .responses.models import Answer, Response, SyncConflict
from .results import rollup  # noqa: F401  (its session events take deleted responses off the totals)
from .results.models import AnswerRollup, ResponseRollup
from .teams.models import Team
from .voice.models import VoiceNote

__all__ = ["Answer", "Campaign", "CampaignVersion", "Device", "EnrolmentCode", "PromptAudio", "Response",
           "Source", "SyncConflict", "Team", "TeamMembership", "User", "UserSession", "VoiceNote"]
__all__ += ["AnswerRollup", "NeighbourhoodGroup", "NeighbourhoodProfile", "PublicReport", "ResponseRollup"]
