"""Words the sample catalog understands beyond its own texts, in en, pl, es, ru and fa.

``STOPWORDS`` are dropped from a query when other words remain ("lego for a boy" searches
"lego", "boy") and never count as interests ("surprise me" asks for good picks).
``INTEREST_WORDS`` lets a shopper name an interest in their own language ("nauka",
"ciencia", "наука", "علم") and still match the English tag ("science").
"""

from __future__ import annotations

from catalog.text import fold, index_terms

_STOPWORDS = """
a an the and or for with of to in on at my me his her their some any something year years old
gift gifts present presents idea ideas
i z w we na do dla o od lub albo lat latka lata roku coś cos jakiś jakis prezent prezenty
upominek pomysł pomysl
y e o de del la las el los un una unos unas para con por en al años anos algo regalo regalos
и или в во на с со для по от к лет год года что-нибудь подарок подарки что
و یا با برای در به از یک ساله سال یه چیزی هدیه کادو
surprise anything everything whatever niespodzianka cokolwiek wszystko sorpresa cualquier
сюрприз всё все любое غافلگیری سورپرایز هرچی
"""

STOPWORDS: frozenset[str] = frozenset(
    fold(w).replace("-", "").replace("\u200c", "") for w in _STOPWORDS.split()
)

# tag -> words for it in the sample locales (the tag itself always matches).
_INTEREST_WORDS: dict[str, str] = {
    "lego": "klocki klocków budowanie bloques construcción конструктор лего لگو ساختنی",
    "building": "budowanie konstruowanie construir construcción строительство "
    "конструирование ساختن",
    "science": "nauka naukowe eksperymenty ciencia ciencias experimentos наука научный опыты "
    "эксперименты علم علوم علمی آزمایش",
    "stem": "nauka ciencia наука علم",
    "space": "kosmos astronomia espacio astronomía космос астрономия فضا نجوم",
    "books": "książki ksiazki czytanie libros lectura leer книги чтение کتاب مطالعه",
    "reading": "czytanie lectura leer чтение مطالعه کتابخوانی",
    "puzzles": "puzzle układanki rompecabezas puzles пазлы головоломки پازل",
    "games": "gry planszówki planszowe juegos juego mesa игры настольные بازی بازی‌ها",
    "plush": "pluszak pluszaki maskotka maskotki peluche peluches мягкие плюшевые عروسک پولیشی",
    "animals": "zwierzęta zwierzątka animales животные зверята حیوانات",
    "dinosaurs": "dinozaury dinosaurios динозавры دایناسور",
    "art": "sztuka plastyka rysowanie malowanie arte dibujo pintura искусство рисование "
    "творчество هنر نقاشی",
    "crafts": "rękodzieło robótki manualidades рукоделие поделки کاردستی",
    "painting": "malowanie pintura рисование живопись نقاشی",
    "music": "muzyka música музыка موسیقی",
    "instruments": "instrumenty instrumentos инструменты ساز",
    "outdoor": "dwór podwórko plener przyroda exterior aire naturaleza улица прогулки природа "
    "بیرون طبیعت",
    "sport": "sport deporte deportes спорт ورزش",
    "football": "piłka futbol fútbol футбол فوتبال",
    "cooking": "gotowanie kuchnia pieczenie cocina cocinar repostería кулинария готовка выпечка "
    "آشپزی",
    "tea": "herbata té чай چای",
    "coffee": "kawa café кофе قهوه",
    "chocolate": "czekolada słodycze dulces шоколад сладости شکلات",
    "beauty": "uroda kosmetyki pielęgnacja belleza cosmética красота косметика زیبایی آرایشی",
    "jewelry": "biżuteria bizuteria joyas joyería bisutería украшения бижутерия جواهرات زیورآلات",
    "tech": "technologia technika elektronika gadżety tecnología electrónica техника электроника "
    "гаджеты технологии تکنولوژی فناوری گجت",
    "gadgets": "gadżety gadgets artilugios гаджеты گجت",
    "robots": "roboty robótica роботы ربات رباتیک",
    "coding": "programowanie programación программирование برنامه‌نویسی",
    "photography": "fotografia zdjęcia fotografía фотография фото عکاسی",
    "fashion": "moda ubrania ropa мода одежда مد لباس",
    "vehicles": "pojazdy auta samochody vehículos coches машинки транспорт ماشین",
    "travel": "podróże viajes путешествия سفر",
    "strategy": "strategia estrategia стратегия стратегии استراتژی",
    "toddler": "maluch niemowlę niemowlak bebé малыш младенец نوزاد نوپا",
    "christmas": "święta boże narodzenie navidad рождество ёлка کریسمس",
    "family": "rodzina familia семья خانواده",
}

INTEREST_WORDS: dict[str, frozenset[str]] = {
    tag: frozenset(index_terms(words)) | {tag} for tag, words in _INTEREST_WORDS.items()
}

__all__ = ["INTEREST_WORDS", "STOPWORDS"]
