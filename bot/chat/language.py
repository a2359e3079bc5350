"""Which language a shopper wrote in, when it is clearly not English: a small, pure detector.

The assistant reads English only. A message in another language gets an honest reply in that language
(bot/nlu/language_component.py, actions/language.py) instead of a wrong answer. Two kinds of evidence,
no model or data set:

- the script: Han, kana, Hangul, Cyrillic, Arabic, Hebrew, Greek, Thai, Devanagari letters;
- for Latin-script text, function words (articles, pronouns, prepositions, common verbs) of German,
  French, Spanish, Italian, Dutch and Portuguese scored against English ones.

It errs towards English: short messages, order numbers, email addresses, product names, emoji and
messages mixing English with a foreign word stay English. Importable without Rasa or the application.
"""
import re
import unicodedata
from typing import Dict, FrozenSet, Optional

ENGLISH = "en"
# At least this many function words of one foreign language, and a share of the message's words.
MIN_FOREIGN_WORDS = 2
MIN_FOREIGN_SHARE = 0.4
# Letters of a non-Latin script needed, and their share of all letters.
MIN_SCRIPT_LETTERS = 2
MIN_SCRIPT_SHARE = 0.5

# Removed before reading: they are the same in every language. An email address is matched from the start
# of its run of non-space characters only (the look-behind): `\S+@\S+` tried every position of a long
# space-less message and scanned the rest of it from each (quadratic work; 1.2 s for 20,000 characters).
_EMAIL_NOISE = re.compile(r"(?<![^\s@])[^\s@]+@\S+")
_NOISE = re.compile(_EMAIL_NOISE.pattern + r"|https?://\S+|www\.\S+|\b[A-Za-z]{1,3}-?\d[\w-]*\b|\d+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _words(text: str) -> FrozenSet[str]:
    return frozenset(text.split())


# Function words and a few very common verbs per language. Words that are also common in English
# ("die", "was", "also", "hat", "come", "son", "in", "a", "no", "me", "is", ...) are left out: they
# would make English look foreign.
FUNCTION_WORDS: Dict[str, FrozenSet[str]] = {
    "en": _words("""
        the a an and or but of to for with from at by on about is are was were be been am do does did
        have has had can could would should will shall may might must i you he she we they it my your
        our their me him her us them this that these those what where when why how which who there here
        not no yes please thanks thank hi hello hey if so than then just any some all get got want need
        like much many more order orders return returns refund shipping ship delivery size sizes fit
        item items package parcel cancel change address pay payment help still yet already"""),
    "de": _words("""
        der den dem des das ein eine einen einem einer eines und oder aber ich du er sie wir ihr mein
        meine meinen meinem meiner dein deine ist sind bin bist war waren wird werden kann kannst können
        möchte möchten will wollen muss müssen habe hast haben nicht kein keine keinen nach mit bei von
        zu zum zur für über auf aus wie wo wann warum welche welcher welches wer mich mir dich dir uns
        euch ihnen noch schon auch nur sehr bitte danke hallo guten tag kostet kosten versand lieferung
        bestellung bestellt rücksendung zurückschicken größe passt gibt es ist's geht"""),
    "fr": _words("""
        le la les un une des du de et ou mais je tu il elle nous vous ils elles mon ma mes ton ta tes
        son sa ses notre votre leur est sont suis es était avoir ai avez avons être fait faire peux
        pouvez peut veux voudrais voulez pas ne ni que qui quoi quand comment pourquoi où quel quelle
        quels dans pour avec sans sur chez au aux ce cette ces bonjour merci oui non livraison commande
        retour taille combien coûte est-ce qu'est-ce c'est j'ai"""),
    "es": _words("""
        el la los las un una unos unas y o pero yo tú él ella nosotros vosotros ellos ellas mi mis tu tus
        su sus es son soy está están estoy fue ser estar tengo tiene tienen hay puedo puede pueden
        quiero quisiera no que qué cuando cuándo como cómo por porque dónde donde cuál cuánto cuanto
        cuesta del al en con sin para sobre este esta estos estas hola gracias sí envío pedido
        devolución devolver talla también muy"""),
    "it": _words("""
        il lo la gli le un uno una e ed o ma io tu lui lei noi voi loro mio mia miei mie tuo tua suo sua
        è sono sei siamo siete era ho hai ha abbiamo avete hanno posso puoi può vorrei voglio non che
        chi cosa quando come perché dove quale quanto costa del della dei delle nel nella per con su
        questo questa questi ciao grazie buongiorno spedizione ordine reso restituire taglia anche molto"""),
    "nl": _words("""
        de het een en of maar ik jij je hij zij wij we jullie mijn mij jouw uw zijn ben bent is was
        waren heb hebt heeft hebben kan kun kunt kunnen wil wilt willen niet geen wat waar wanneer
        waarom hoe welke wie van voor met bij naar uit over op dit dat deze die er ook nog al hallo
        dank bedankt alstublieft graag verzending bestelling retour maat kost kosten"""),
    "pt": _words("""
        o a os as um uma uns umas e ou mas eu tu ele ela nós vós eles elas meu minha meus minhas seu sua
        é são sou está estão estou foi ser estar tenho tem têm há posso pode podem quero queria não
        que quando como por porque onde qual quanto custa do da dos das no na nos nas em com sem para
        este esta isso olá obrigado obrigada sim envio encomenda pedido devolução devolver trocar tamanho também muito
        você vocês"""),
}
# Letters only one of these languages uses (among the six and English): strong evidence on their own.
SPECIAL_LETTERS: Dict[str, str] = {"de": "äöüß", "es": "ñ¿¡", "pt": "ãõ", "fr": "œç", "it": "ò"}
_ENGLISH_OVERLAP = frozenset("""die was also hat man come son in a an no me is am so on to of i
    are be do fit size sin tag will mist war hold bin net""".split())
for _language, _words_of in list(FUNCTION_WORDS.items()):
    if _language != ENGLISH:
        FUNCTION_WORDS[_language] = _words_of - _ENGLISH_OVERLAP - FUNCTION_WORDS[ENGLISH]


def _script(char: str) -> Optional[str]:
    """The language a letter's script points to (Han alone is read as Chinese, with kana as Japanese)."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
        return "ja"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "zh"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "ko"
    if 0x0400 <= code <= 0x04FF:
        return "ru"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
        return "ar"
    if 0x0590 <= code <= 0x05FF:
        return "he"
    if 0x0370 <= code <= 0x03FF:
        return "el"
    if 0x0E00 <= code <= 0x0E7F:
        return "th"
    if 0x0900 <= code <= 0x097F:
        return "hi"
    return None


def _by_script(text: str) -> Optional[str]:
    letters = [c for c in text if c.isalpha()]
    counts: Dict[str, int] = {}
    for char in letters:
        language = _script(char)
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    total = sum(counts.values())
    if total < MIN_SCRIPT_LETTERS or total < MIN_SCRIPT_SHARE * len(letters):
        return None
    if counts.get("ja"):
        return "ja"  # Japanese writes Han characters with kana around them
    if counts.get("ru") and re.search(r"[іїєґў]", text.lower()):
        return "uk"  # Ukrainian (and Belarusian) letters
    return max(counts, key=counts.get)


def _by_words(text: str) -> Optional[str]:
    words = [w for w in _WORD.findall(text.lower())]
    if len(words) < MIN_FOREIGN_WORDS:
        return None
    english = sum(w in FUNCTION_WORDS[ENGLISH] for w in words)
    scores = {}
    for language, vocabulary in FUNCTION_WORDS.items():
        if language == ENGLISH:
            continue
        hits = sum(w in vocabulary for w in words)
        hits += sum(1 for c in text.lower() if c in SPECIAL_LETTERS.get(language, ""))
        scores[language] = hits
    language = max(scores, key=lambda name: scores[name])
    best = scores[language]
    if best < MIN_FOREIGN_WORDS or best <= english or best < MIN_FOREIGN_SHARE * len(words):
        return None
    return language


def foreign_language(text: Optional[str]) -> Optional[str]:
    """The language code when `text` is confidently not English ("de", "zh", ...), else None."""
    if not text:
        return None
    cleaned = unicodedata.normalize("NFC", _NOISE.sub(" ", text))
    return _by_script(cleaned) or _by_words(cleaned)


def detect(text: Optional[str]) -> str:
    """The language of `text`: a code from foreign_language(), else English."""
    return foreign_language(text) or ENGLISH
