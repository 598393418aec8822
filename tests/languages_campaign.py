"""A campaign in all twelve languages with every question type, as a coordinator might write it.

Test data: the Dutch, English, Turkish and Arabic texts are the demo's; the others are plain translations made
for these tests and reviewed by nobody.
"""

from server.campaigns.operations import create_campaign, create_source, publish_campaign
from server.extensions import db
from server.i18n import LANGUAGES
from server.teams.models import Team

KEYS = ("title", "wonen", "missen", "groen", "spelen", "bankjes", "plekken", "park", "markt", "veilig", "jaren", "idee",
        "vertel")

TEXTS = {
    "nl": ("Onze buurt, jouw stem", "Hoe fijn woon je in de buurt?", "Wat mis je het meest?", "Groen en bomen",
           "Plek om te spelen", "Bankjes", "Waar kom je graag?", "Park", "Markt",
           "Voel je je 's avonds veilig op straat?",
           "Hoeveel jaar woon je al in de buurt?", "Wat zou je willen veranderen?",
           "Wil je nog iets zeggen? Vertel het in je eigen taal."),
    "en": ("Our neighbourhood, your voice", "How much do you like living in the neighbourhood?",
           "What do you miss most?", "Green and trees", "A place to play", "Benches", "Where do you like to go?",
           "Park", "Market", "Do you feel safe in the street at night?", "How many years have you lived here?",
           "What would you like to change?", "Anything else? Tell us in your own language."),
    "tr": ("Mahallemiz, senin sesin", "Mahallede yaşamaktan ne kadar memnunsun?",
           "En çok neyin eksikliğini hissediyorsun?", "Yeşillik ve ağaçlar", "Oyun alanı", "Banklar",
           "Nereye gitmeyi seversin?", "Park", "Pazar", "Akşamları sokakta kendini güvende hissediyor musun?",
           "Kaç yıldır bu mahallede yaşıyorsun?", "Neyi değiştirmek isterdin?",
           "Söylemek istediğin başka bir şey var mı? Kendi dilinde anlat."),
    "ar": ("حيّنا، صوتك", "ما مدى رضاك عن العيش في الحي؟", "ما الذي ينقصك أكثر؟", "خضرة وأشجار", "مكان للعب", "مقاعد",
           "أين تحب أن تذهب؟", "الحديقة", "السوق", "هل تشعر بالأمان في الشارع مساءً؟", "منذ كم سنة تسكن في الحي؟",
           "ما الذي تود تغييره؟", "هل تريد أن تقول شيئاً آخر؟ قله بلغتك."),
    "rif": ("Taddart nneɣ, awal nnek", "Mamec tḥemmleḍ ad tzedɣeḍ di taddart?", "Min ixuṣṣen ktar?",
            "Izegzawen d yesɣaren", "Amkan n wurar", "Ikursiyen", "Mani tḥemmleḍ ad truḥeḍ?", "Ajnan", "Ssuq",
            "Ma tḥessreḍ s laman deg webrid ɣar tmeddit?", "Menna n iseggusa ay tzedɣeḍ dagi?",
            "Min tebɣiḍ ad tbeddleḍ?", "Ma txeṣṣeḍ ad tiniḍ ca n wawal nniḍen? Ini-t s tmeslayt nnek."),
    "pl": ("Nasza okolica, twój głos", "Jak ci się mieszka w okolicy?", "Czego ci najbardziej brakuje?",
           "Zieleni i drzew", "Miejsca do zabawy", "Ławek", "Dokąd lubisz chodzić?", "Park miejski", "Targ",
           "Czy wieczorem czujesz się bezpiecznie na ulicy?", "Od ilu lat tu mieszkasz?",
           "Co chciałbyś zmienić?", "Chcesz coś jeszcze powiedzieć? Powiedz to w swoim języku."),
    "uk": ("Наш район, твій голос", "Як тобі живеться в районі?", "Чого тобі найбільше бракує?",
           "Зелені та дерев", "Місця для ігор", "Лавок", "Куди ти любиш ходити?", "Парк", "Ринок",
           "Чи почуваєшся ти ввечері безпечно на вулиці?", "Скільки років ти тут живеш?",
           "Що ти хотів би змінити?", "Хочеш сказати ще щось? Скажи це своєю мовою."),
    "so": ("Xaafaddeenna, codkaaga", "Sidee ugu faraxsan tahay ku noolaanshaha xaafadda?",
           "Maxaa sida ugu badan kaaga maqan?", "Dhir iyo cagaar", "Meel lagu ciyaaro", "Kuraasi fadhi",
           "Xaggee jeceshahay inaad aaddo?", "Beerta nasashada", "Suuqa", "Habeenkii wadada ma ku dareentaa nabad?",
           "Immisa sano ayaad halkan ku noolayd?", "Maxaad jeclaan lahayd inaad beddesho?",
           "Ma jiraa wax kale oo aad rabto inaad sheegto? Ku sheeg afkaaga."),
    "ti": ("ሰፈርና፣ ድምጽኻ", "ኣብ ሰፈር ምንባር ክንደይ ይፈትዎ?", "ብዝያዳ እንታይ ይጎድለካ?", "ቀጠልያን ኦማትን", "ቦታ ጸወታ", "መንበራት",
           "ናበይ ክትከይድ ትፈቱ?", "መናፈሻ", "ዕዳጋ", "ምሸት ኣብ ጽርግያ ውሑስ ኮይኑ ይስምዓካ ድዩ?", "ክንደይ ዓመት ኣብዚ ተቐሚጥካ?",
           "እንታይ ክትቅይር ምደለኻ?", "ካልእ ክትብሎ እትደሊ ኣሎ ድዩ? ብቋንቋኻ ንገረና።"),
    "pap": ("Nos bario, bo stèm", "Kon bon bo ta biba den bario?", "Kiko bo ta falta mas?", "Mata i palu",
            "Lugá pa hunga", "Banki", "Unda bo gusta bai?", "Parke", "Marshe", "Bo ta sinti bo sigur riba kaya anochi?",
            "Kuantu aña bo ta biba akinan?", "Kiko bo lo ke kambia?",
            "Bo ke bisa algu mas? Bis'é den bo mes idioma."),
    "srn": ("Wi birti, yu sten", "Fa yu lobi fu libi na ini a birti?", "San yu e misi moro furu?",
            "Grun nanga bon", "Presi fu prei", "Bangi", "Pe yu lobi fu go?", "Dyari", "Wowoyo",
            "Yu e firi seifi na strati neti?", "Omeni yari yu e libi dyaso?", "San yu ben o wani kenki?",
            "Yu wani taki wan tra sani? Taki en na ini yu eigi tongo."),
    "fy": ("Us buert, dyn stim", "Hoe nij wenje jo yn 'e buert?", "Wat misse jo it meast?", "Grien en beammen",
           "Plak om te boartsjen", "Sitbankjes", "Wêr komme jo graach?", "Park yn 'e buert", "Merk",
           "Fiele jo jo jûns feilich op strjitte?", "Hoefolle jier wenje jo hjir al?", "Wat soene jo feroarje wolle?",
           "Wolle jo noch wat sizze? Fertel it yn jo eigen taal."),
}


def texts(key: str) -> dict[str, str]:
    """`key`'s text in every language (English for a language added since, until it gets texts here)."""
    index = KEYS.index(key)
    return {code: TEXTS.get(code, TEXTS["en"])[index] for code in LANGUAGES}


def choice(key: str, emoji: str, pictogram: str | None = None) -> dict:
    return {"key": key, "label": texts(key), "emoji": emoji, "pictogram": pictogram}


def every_language_definition(default_language: str = "nl") -> dict:
    """Every question type, in every language of `translations/languages.json`."""
    return {
        "languages": list(LANGUAGES), "default_language": default_language, "title": texts("title"),
        "buurten": ["Noord", "Zuid"], "ask_age_bracket": True,
        "questions": [
            {"key": "wonen", "type": "smiley", "required": True, "voice": "off", "text": texts("wonen")},
            {"key": "missen", "type": "single_choice", "voice": "off", "text": texts("missen"),
             "choices": [choice("groen", "🌳", "tree"), choice("spelen", "🛝", "playground"),
                         choice("bankjes", "🪑", "bench")]},
            {"key": "plekken", "type": "multiple_choice", "voice": "off", "text": texts("plekken"),
             "choices": [choice("park", "🌳"), choice("markt", "🧺")]},
            {"key": "veilig", "type": "yes_no", "text": texts("veilig")},
            {"key": "jaren", "type": "number", "min": 0, "max": 100, "voice": "off", "text": texts("jaren")},
            {"key": "idee", "type": "short_text", "max_length": 300, "voice": "off", "text": texts("idee")},
            {"key": "vertel", "type": "voice", "voice": "only", "text": texts("vertel")},
        ],
    }


def campaign_texts(code: str) -> set[str]:
    """Every text of the campaign a resident reading `code` sees (they are not catalog messages)."""
    return set(TEXTS.get(code, TEXTS["en"])) | {"Noord", "Zuid"}


def publish_every_language_campaign(default_language: str = "nl", slug: str = "twaalf-talen"):
    """A team with the published twelve-language campaign and one flyer; returns (campaign, flyer source)."""
    team = Team(slug=slug, name="Buurtteam Twaalf Talen", kind="initiative")
    db.session.add(team)
    db.session.flush()
    campaign = create_campaign(team, every_language_definition(default_language))
    publish_campaign(campaign)
    source = create_source(campaign, "Buurthuis", "flyer")
    db.session.commit()
    return campaign, source
