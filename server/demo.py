"""A demo team and campaign in four languages with every question type, and a municipal partner (for `wijkstem
demo`)."""

import json

from sqlalchemy import select

from .accounts.operations import add_member, create_user, set_password, user_by_email
from .campaigns.models import Campaign
from .campaigns.operations import create_campaign, create_source, publish_campaign
from .extensions import db
from .partners.models import Partnership, PartnershipGrant
from .paths import PACKAGE_DIR
from .storage import media_store, new_storage_name
from .teams.models import Team
from .util import new_token, sha256_hex
from .voice.audio import duration_ms
from .voicepacks.models import Clip
from .voicepacks.operations import CAMPAIGN_KEY, current_text, same_slot, text_hash

DEMO_TEAM = "de-brug"
#: The demo's synthetic clips, made by `server/demo_audio/make.py`.
DEMO_AUDIO_DIR = PACKAGE_DIR / "demo_audio"


def t(nl: str, en: str, tr: str, ar: str) -> dict:
    return {"nl": nl, "en": en, "tr": tr, "ar": ar}


DEMO_DEFINITION = {
    "languages": ["nl", "en", "tr", "ar"],
    "default_language": "nl",
    "title": t("Onze buurt, jouw stem", "Our neighbourhood, your voice", "Mahallemiz, sizin sesiniz",
               "حيّنا، صوتكم"),
    "intro": t("Een paar korte vragen over wonen in de buurt. Tik of zeg het.",
               "A few short questions about living here. Tap or say it.",
               "Mahallede yaşamak hakkında birkaç kısa soru. Dokunun ya da söyleyin.",
               "بعض الأسئلة القصيرة عن الحياة في الحي. اضغطوا أو قولوها بصوتكم."),
    # after the screen's own "Thank you!" heading: what happens next, not the thanks again
    "thanks": t("In maart laten we zien wat de buurt heeft gezegd.",
                "In March we will show what the neighbourhood said.",
                "Mart ayında mahallenin ne dediğini göstereceğiz.",
                "في شهر مارس سنعرض ما قاله الحي."),
    "buurten": ["Noord", "Zuid", "Centrum"],
    "ask_age_bracket": True,
    "questions": [
        {"key": "wonen", "type": "smiley", "required": True,
         "text": t("Hoe fijn woon je in de buurt?", "How much do you like living in the neighbourhood?",
                   "Mahallede yaşamaktan ne kadar memnunsunuz?", "ما مدى رضاكم عن العيش في الحي؟")},
        {"key": "missen", "type": "single_choice",
         "text": t("Wat mis je het meest?", "What do you miss most?", "En çok neyin eksikliğini hissediyorsunuz?",
                   "ما الذي ينقصكم أكثر؟"),
         "choices": [
             {"key": "groen", "pictogram": "tree", "emoji": "🌳",
              "label": t("Groen en bomen", "Green and trees", "Yeşillik ve ağaçlar", "خضرة وأشجار")},
             {"key": "spelen", "pictogram": "playground", "emoji": "🛝",
              "label": t("Plek om te spelen", "A place to play", "Oyun alanı", "مكان للعب")},
             {"key": "bankjes", "pictogram": "bench", "emoji": "🪑",
              "label": t("Bankjes", "Benches", "Banklar", "مقاعد")},
             {"key": "licht", "pictogram": "lamp", "emoji": "💡",
              "label": t("Licht op straat", "Street lighting", "Sokak aydınlatması", "إنارة الشوارع")},
         ]},
        {"key": "plekken", "type": "multiple_choice",
         "text": t("Waar kom je graag?", "Where do you like to go?", "Nereye gitmeyi seversiniz?",
                   "أين تحبون أن تذهبوا؟"),
         "choices": [
             {"key": "buurthuis", "pictogram": "house", "emoji": "🏠",
              "label": t("Buurthuis", "Community centre", "Mahalle evi", "المركز المجتمعي")},
             {"key": "markt", "pictogram": "market", "emoji": "🧺",
              "label": t("Markt", "Market", "Pazar", "السوق")},
             {"key": "park", "pictogram": "tree", "emoji": "🌳",
              "label": t("Park", "Park", "Park", "الحديقة")},
             {"key": "bieb", "pictogram": "book", "emoji": "📚",
              "label": t("Bibliotheek", "Library", "Kütüphane", "المكتبة")},
         ]},
        {"key": "veilig", "type": "yes_no",
         "text": t("Voel je je 's avonds veilig op straat?", "Do you feel safe in the street at night?",
                   "Akşamları sokakta kendinizi güvende hissediyor musunuz?",
                   "هل تشعرون بالأمان في الشارع مساءً؟")},
        {"key": "jaren", "type": "number", "min": 0, "max": 100, "voice": "off",
         "text": t("Hoeveel jaar woon je al in de buurt?", "How many years have you lived here?",
                   "Kaç yıldır bu mahallede yaşıyorsunuz?", "منذ كم سنة تسكنون في الحي؟")},
        {"key": "idee", "type": "short_text", "max_length": 300,
         "text": t("Wat zou je willen veranderen?", "What would you like to change?",
                   "Neyi değiştirmek isterdiniz?", "ما الذي تودون تغييره؟")},
        {"key": "vertel", "type": "voice", "voice": "only",
         "text": t("Wil je nog iets zeggen? Vertel het in je eigen taal.",
                   "Anything else? Tell us in your own language.",
                   "Söylemek istediğiniz başka bir şey var mı? Kendi dilinizde anlatın.",
                   "هل تريدون أن تقولوا شيئًا آخر؟ قولوه بلغتكم.")},
    ],
}

DEMO_SOURCES = [("Buurthuis De Brug", "flyer"), ("Schoolplein Noord", "flyer"), ("Deur-aan-deur team 1",
                                                                                   "door_to_door")]


def ensure_demo(audio: bool = True) -> tuple[Team, Campaign]:
    """Create the demo team, campaign and sources once (with its synthetic clips unless `audio` is false);
    later calls return what is there and add clips that are missing."""
    team = db.session.scalars(select(Team).where(Team.slug == DEMO_TEAM)).first()
    if team is None:
        team = Team(slug=DEMO_TEAM, name="Buurtinitiatief De Brug", kind="initiative")
        db.session.add(team)
        db.session.flush()
    campaign = db.session.scalars(select(Campaign).where(Campaign.team_id == team.id)).first()
    if campaign is None:
        campaign = create_campaign(team, DEMO_DEFINITION)
        publish_campaign(campaign)
        for name, kind in DEMO_SOURCES:
            create_source(campaign, name, kind)
    if audio:
        load_demo_audio(campaign)
    return team, campaign


def load_demo_audio(campaign: Campaign) -> int:
    """Store the shipped synthetic clips where nothing is recorded yet; returns how many were stored.

    A clip made for a text that has changed since (its hash in ``manifest.json`` differs) is skipped: the
    studio then shows that text as not recorded, rather than the demo playing words that are not written.
    """
    manifest_path = DEMO_AUDIO_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    stored = 0
    for language, made in manifest.items():
        if language not in campaign.definition["languages"]:
            continue
        for key, made_for in made.items():
            stored += store_demo_clip(campaign, key, language, made_for)
    db.session.flush()
    return stored


def store_demo_clip(campaign: Campaign, key: str, language: str, made_for: str) -> bool:
    text = current_text(campaign.definition, key, language)
    path = DEMO_AUDIO_DIR / language / (key.replace(":", ".") + ".ogg")
    campaign_id = campaign.id if CAMPAIGN_KEY.match(key) else None
    if not text or text_hash(text) != made_for or not path.is_file() \
            or same_slot(campaign.team_id, campaign_id, key, language):
        return False
    data = path.read_bytes()
    clip = Clip(team_id=campaign.team_id, campaign_id=campaign_id, key=key, language=language,
                text_sha256=made_for, content_type="audio/ogg", sha256=sha256_hex(data), size=len(data),
                duration_ms=duration_ms(path, "ogg"), storage_name=new_storage_name("clips"), synthetic=True)
    media_store().put_bytes(clip.storage_name, data)
    db.session.add(clip)
    return True


DEMO_COORDINATOR = "coordinator@demo.wijkstem.nl"
DEMO_PARTNER_TEAM = "gemeente-demo"
DEMO_PARTNER = "gemeente@demo.wijkstem.nl"
#: What the initiative lets the municipality do in the demo: see the totals, help with recordings, print flyers.
DEMO_GRANTS = ("results", "voice", "flyers")


def ensure_demo_partner(team: Team, campaign: Campaign) -> Partnership:
    """The municipality as the demo initiative's partner for its campaign (once): it sees the totals, proposes
    recordings for the initiative to approve and prints flyers; the public results page thanks it."""
    partner = db.session.scalars(select(Team).where(Team.slug == DEMO_PARTNER_TEAM)).first()
    if partner is None:
        partner = Team(slug=DEMO_PARTNER_TEAM, name="Gemeente, team Wijkaanpak", kind="municipal")
        db.session.add(partner)
        db.session.flush()
    partnership = db.session.scalars(select(Partnership).where(
        Partnership.owner_team_id == team.id, Partnership.partner_team_id == partner.id,
        Partnership.ended_at.is_(None))).first()
    if partnership is None:
        partnership = Partnership(owner_team_id=team.id, partner_team_id=partner.id, campaign_id=campaign.id,
                                  credited=True)
        db.session.add(partnership)
        db.session.flush()
        partnership.grants.extend(PartnershipGrant(grant=grant) for grant in DEMO_GRANTS)
        db.session.flush()
    return partnership


def demo_partner_password(partnership: Partnership) -> str:
    """(Re)set the demo municipal coordinator's password (demo installs only)."""
    password = new_token(12)
    user = user_by_email(DEMO_PARTNER)
    if user is None:
        user = create_user(DEMO_PARTNER, password, role="coordinator", name="Gemeente")
    else:
        set_password(user, password)
    add_member(partnership.partner, user)
    return password


def demo_coordinator_password(team: Team) -> str:
    """(Re)set the demo coordinator's password to a fresh random one and return it (demo installs only)."""
    password = new_token(12)
    user = user_by_email(DEMO_COORDINATOR)
    if user is None:
        user = create_user(DEMO_COORDINATOR, password, role="coordinator", name="Demo")
    else:
        set_password(user, password)
    add_member(team, user)
    return password
