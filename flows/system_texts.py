"""Built-in texts the engine says on its own, in the locales shopchat ships.

A shop overrides any of them per locale under ``texts:`` in shop.yaml. Locales beyond these
fall back to the shop's default locale, then to English.
"""

from __future__ import annotations

LOCALE_NAMES: dict[str, str] = {
    "en": "English",
    "pl": "Polski",
    "es": "Español",
    "ru": "Русский",
    "fa": "فارسی",
    "de": "Deutsch",
    "fr": "Français",
    "uk": "Українська",
}

RTL_LOCALES = frozenset({"fa", "ar", "he", "ur"})

SYSTEM_TEXTS: dict[str, dict[str, str]] = {
    "invalid_choice": {
        "en": "Please pick one of the options (you can type its number).",
        "pl": "Wybierz jedną z opcji (możesz wpisać jej numer).",
        "es": "Elige una de las opciones (puedes escribir su número).",
        "ru": "Пожалуйста, выберите один из вариантов (можно ввести его номер).",
        "fa": "لطفاً یکی از گزینه‌ها را انتخاب کنید (می‌توانید شماره‌اش را بنویسید).",
    },
    "invalid_integer": {
        "en": "Please send a whole number, like 8.",
        "pl": "Podaj liczbę całkowitą, np. 8.",
        "es": "Envía un número entero, por ejemplo 8.",
        "ru": "Пожалуйста, отправьте целое число, например 8.",
        "fa": "لطفاً یک عدد صحیح بفرستید، مثلاً ۸.",
    },
    "invalid_number": {
        "en": "Please send a number, like 12.5.",
        "pl": "Podaj liczbę, np. 12,5.",
        "es": "Envía un número, por ejemplo 12,5.",
        "ru": "Пожалуйста, отправьте число, например 12,5.",
        "fa": "لطفاً یک عدد بفرستید، مثلاً ۱۲٫۵.",
    },
    "invalid_money": {
        "en": "Please send an amount, like 150.",
        "pl": "Podaj kwotę, np. 150.",
        "es": "Envía una cantidad, por ejemplo 150.",
        "ru": "Пожалуйста, укажите сумму, например 150.",
        "fa": "لطفاً یک مبلغ بفرستید، مثلاً ۱۵۰.",
    },
    "invalid_email": {
        "en": "That doesn't look like an email address. Please try again.",
        "pl": "To nie wygląda na adres e-mail. Spróbuj ponownie.",
        "es": "Eso no parece un correo electrónico. Inténtalo de nuevo.",
        "ru": "Это не похоже на адрес электронной почты. Попробуйте ещё раз.",
        "fa": "این شبیه نشانی ایمیل نیست. لطفاً دوباره امتحان کنید.",
    },
    "invalid_phone": {
        "en": "That doesn't look like a phone number. Please try again.",
        "pl": "To nie wygląda na numer telefonu. Spróbuj ponownie.",
        "es": "Eso no parece un número de teléfono. Inténtalo de nuevo.",
        "ru": "Это не похоже на номер телефона. Попробуйте ещё раз.",
        "fa": "این شبیه شماره تلفن نیست. لطفاً دوباره امتحان کنید.",
    },
    "invalid_date": {
        "en": "Please send a date, like 24.12.2026.",
        "pl": "Podaj datę, np. 24.12.2026.",
        "es": "Envía una fecha, por ejemplo 24.12.2026.",
        "ru": "Пожалуйста, отправьте дату, например 24.12.2026.",
        "fa": "لطفاً یک تاریخ بفرستید، مثلاً 24.12.2026.",
    },
    "invalid_text": {
        "en": "Please type your answer.",
        "pl": "Wpisz swoją odpowiedź.",
        "es": "Escribe tu respuesta.",
        "ru": "Пожалуйста, напишите ответ.",
        "fa": "لطفاً پاسخ خود را بنویسید.",
    },
    "too_small": {
        "en": "That's too low, please try again.",
        "pl": "To za mało, spróbuj ponownie.",
        "es": "Es demasiado bajo, inténtalo de nuevo.",
        "ru": "Слишком мало, попробуйте ещё раз.",
        "fa": "این خیلی کم است، لطفاً دوباره امتحان کنید.",
    },
    "too_big": {
        "en": "That's too high, please try again.",
        "pl": "To za dużo, spróbuj ponownie.",
        "es": "Es demasiado alto, inténtalo de nuevo.",
        "ru": "Слишком много, попробуйте ещё раз.",
        "fa": "این خیلی زیاد است، لطفاً دوباره امتحان کنید.",
    },
    "too_many_attempts": {
        "en": "Sorry, I still didn't get that.",
        "pl": "Niestety nadal tego nie rozumiem.",
        "es": "Lo siento, sigo sin entenderlo.",
        "ru": "Извините, я всё ещё не понял.",
        "fa": "متأسفم، هنوز متوجه نشدم.",
    },
    "resume_offer": {
        "en": "Shall we continue where we left off?",
        "pl": "Czy wracamy do tego, na czym skończyliśmy?",
        "es": "¿Seguimos donde lo dejamos?",
        "ru": "Продолжим с того места, где остановились?",
        "fa": "از همان جایی که بودیم ادامه دهیم؟",
    },
    "continue": {
        "en": "Continue",
        "pl": "Kontynuuj",
        "es": "Continuar",
        "ru": "Продолжить",
        "fa": "ادامه",
    },
    "main_menu": {
        "en": "Main menu",
        "pl": "Menu główne",
        "es": "Menú principal",
        "ru": "Главное меню",
        "fa": "منوی اصلی",
    },
    "cancelled": {
        "en": "OK, cancelled.",
        "pl": "W porządku, anulowane.",
        "es": "De acuerdo, cancelado.",
        "ru": "Хорошо, отменено.",
        "fa": "باشه، لغو شد.",
    },
    "restarted": {
        "en": "Let's start over.",
        "pl": "Zacznijmy od nowa.",
        "es": "Empecemos de nuevo.",
        "ru": "Начнём сначала.",
        "fa": "بیایید از اول شروع کنیم.",
    },
    "handoff": {
        "en": "I'm passing you to a person from our team. They'll reply here soon.",
        "pl": "Przekazuję rozmowę osobie z naszego zespołu. Wkrótce odpisze tutaj.",
        "es": "Te paso con una persona de nuestro equipo. Te responderá aquí en breve.",
        "ru": "Передаю вас сотруднику нашей команды. Скоро он ответит здесь.",
        "fa": "گفتگو را به یکی از همکارانمان می‌سپارم. به‌زودی همین‌جا پاسخ می‌دهد.",
    },
    "handoff_resume": {
        "en": "Meanwhile, you can carry on with me.",
        "pl": "W międzyczasie możesz kontynuować ze mną.",
        "es": "Mientras tanto, puedes seguir conmigo.",
        "ru": "А пока можно продолжить со мной.",
        "fa": "در این فاصله می‌توانید با من ادامه دهید.",
    },
    # The hand-off desk (bot/handoff) says these; templates see name (the shopper's first
    # name, maybe empty), minutes (the expected wait) and opens (when the team is back).
    "handoff_ack": {
        "en": "Thanks{% if name %}, {{ name }}{% endif %}! I'm passing you to a person from our "
        "team. Expected wait: about {{ minutes }} min.",
        "pl": "Dziękuję{% if name %}, {{ name }}{% endif %}! Przekazuję rozmowę osobie z naszego "
        "zespołu. Przewidywany czas oczekiwania: około {{ minutes }} min.",
        "es": "¡Gracias{% if name %}, {{ name }}{% endif %}! Te paso con una persona de nuestro "
        "equipo. Espera estimada: unos {{ minutes }} min.",
        "ru": "Спасибо{% if name %}, {{ name }}{% endif %}! Передаю вас сотруднику нашей команды. "
        "Ожидание: около {{ minutes }} мин.",
        "fa": "ممنون{% if name %} {{ name }}{% endif %}! گفتگو را به یکی از همکارانمان می‌سپارم. "
        "زمان تقریبی انتظار: حدود {{ minutes }} دقیقه.",
    },
    "handoff_wait": {
        "en": "Expected wait: about {{ minutes }} min.",
        "pl": "Przewidywany czas oczekiwania: około {{ minutes }} min.",
        "es": "Espera estimada: unos {{ minutes }} min.",
        "ru": "Ожидание: около {{ minutes }} мин.",
        "fa": "زمان تقریبی انتظار: حدود {{ minutes }} دقیقه.",
    },
    "handoff_away": {
        "en": "Thanks{% if name %}, {{ name }}{% endif %}! Our team is away right now; someone "
        "will answer here when we open ({{ opens }}).",
        "pl": "Dziękuję{% if name %}, {{ name }}{% endif %}! Naszego zespołu teraz nie ma; ktoś "
        "odpowie tutaj po otwarciu ({{ opens }}).",
        "es": "¡Gracias{% if name %}, {{ name }}{% endif %}! Nuestro equipo no está disponible "
        "ahora; alguien te responderá aquí cuando abramos ({{ opens }}).",
        "ru": "Спасибо{% if name %}, {{ name }}{% endif %}! Сейчас наша команда не на связи; вам "
        "ответят здесь, когда мы откроемся ({{ opens }}).",
        "fa": "ممنون{% if name %} {{ name }}{% endif %}! همکاران ما اکنون در دسترس نیستند؛ "
        "پس از بازگشایی ({{ opens }}) همین‌جا پاسخ می‌دهند.",
    },
    "handoff_queued": {
        "en": "You're in the queue{% if name %}, {{ name }}{% endif %}: a person from our team "
        "will reply here soon.",
        "pl": "Czekasz w kolejce{% if name %}, {{ name }}{% endif %}: wkrótce odpisze tu osoba z "
        "naszego zespołu.",
        "es": "Estás en la cola{% if name %}, {{ name }}{% endif %}: una persona de nuestro "
        "equipo te responderá aquí en breve.",
        "ru": "Вы в очереди{% if name %}, {{ name }}{% endif %}: скоро здесь ответит сотрудник "
        "нашей команды.",
        "fa": "{% if name %}{{ name }}، {% endif %}در صف هستید: به‌زودی یکی از همکارانمان همین‌جا "
        "پاسخ می‌دهد.",
    },
    "handoff_returned": {
        "en": "You're chatting with me, the shop's assistant, again.",
        "pl": "Znów rozmawiasz ze mną, asystentem sklepu.",
        "es": "Vuelves a hablar conmigo, el asistente de la tienda.",
        "ru": "Вы снова общаетесь со мной, помощником магазина.",
        "fa": "دوباره با من، دستیار فروشگاه، گفتگو می‌کنید.",
    },
    "help": {
        "en": "At any time you can type 'cancel' to stop, 'restart' to start over, "
        "'language' to change the language or 'human' to talk to a person.",
        "pl": "W każdej chwili możesz napisać 'anuluj', aby przerwać, 'od nowa', aby zacząć "
        "od początku, 'język', aby zmienić język, lub 'konsultant', aby porozmawiać z człowiekiem.",
        "es": "En cualquier momento puedes escribir 'cancelar' para parar, 'reiniciar' para "
        "empezar de nuevo, 'idioma' para cambiar de idioma o 'humano' para hablar con una persona.",
        "ru": "В любой момент можно написать 'отмена', чтобы прервать, 'заново', чтобы начать "
        "сначала, 'язык', чтобы сменить язык, или 'оператор', чтобы поговорить с человеком.",
        "fa": "هر زمان می‌توانید برای توقف «لغو»، برای شروع دوباره «از اول»، برای تغییر زبان "
        "«زبان» و برای گفتگو با یک نفر «اپراتور» را بنویسید.",
    },
    "language_prompt": {
        "en": "Which language would you like?",
        "pl": "W jakim języku mam pisać?",
        "es": "¿Qué idioma prefieres?",
        "ru": "На каком языке вам удобнее?",
        "fa": "به چه زبانی ادامه دهیم؟",
    },
    "language_changed": {
        "en": "Done, I'll write in English.",
        "pl": "Gotowe, będę pisać po polsku.",
        "es": "Listo, te escribiré en español.",
        "ru": "Готово, буду писать по-русски.",
        "fa": "انجام شد، از این پس فارسی می‌نویسم.",
    },
    "session_expired": {
        "en": "It's been a while, so let's start fresh.",
        "pl": "Minęło trochę czasu, więc zacznijmy od nowa.",
        "es": "Ha pasado un tiempo, así que empecemos de nuevo.",
        "ru": "Прошло немало времени, давайте начнём заново.",
        "fa": "مدتی گذشته است، پس از نو شروع کنیم.",
    },
    "flow_changed": {
        "en": "Sorry, this conversation was updated in the meantime, so we have to start "
        "this part again.",
        "pl": "Przepraszam, ta rozmowa została w międzyczasie zaktualizowana, więc musimy "
        "zacząć ten etap od nowa.",
        "es": "Lo siento, esta conversación se actualizó mientras tanto, así que tenemos que "
        "empezar esta parte de nuevo.",
        "ru": "Извините, за это время диалог обновился, поэтому начнём этот шаг заново.",
        "fa": "متأسفم، این گفتگو در این فاصله به‌روز شده است و باید این بخش را از نو شروع کنیم.",
    },
    "error": {
        "en": "Sorry, something went wrong on our side. Let's try again from the menu.",
        "pl": "Przepraszam, coś poszło nie tak po naszej stronie. Spróbujmy jeszcze raz od menu.",
        "es": "Lo siento, algo falló por nuestra parte. Intentémoslo de nuevo desde el menú.",
        "ru": "Извините, у нас что-то пошло не так. Давайте попробуем снова из меню.",
        "fa": "متأسفم، مشکلی از طرف ما پیش آمد. بیایید دوباره از منو شروع کنیم.",
    },
    "not_understood": {
        "en": "Sorry, I didn't understand that. Type 'help' to see what I can do.",
        "pl": "Przepraszam, nie zrozumiałem. Napisz 'pomoc', aby zobaczyć, co potrafię.",
        "es": "Lo siento, no lo entendí. Escribe 'ayuda' para ver lo que puedo hacer.",
        "ru": "Извините, я не понял. Напишите 'помощь', чтобы узнать, что я умею.",
        "fa": "متأسفم، متوجه نشدم. برای دیدن کارهایی که می‌توانم انجام دهم «کمک» را بنویسید.",
    },
    "choose": {
        "en": "Choose",
        "pl": "Wybieram",
        "es": "Elegir",
        "ru": "Выбрать",
        "fa": "انتخاب",
    },
    "clarify": {
        "en": "Just to be sure, which of these do you need?",
        "pl": "Upewnię się: czego potrzebujesz?",
        "es": "Para estar seguro: ¿qué necesitas?",
        "ru": "Уточню: что именно вам нужно?",
        "fa": "برای اطمینان: کدام‌یک را می‌خواهید؟",
    },
    "confirm": {
        "en": "Just to check: {{ value }}. Is that right?",
        "pl": "Upewnię się: {{ value }}. Zgadza się?",
        "es": "Para confirmar: {{ value }}. ¿Es correcto?",
        "ru": "Уточню: {{ value }}. Верно?",
        "fa": "برای اطمینان: {{ value }}. درست است؟",
    },
    "yes": {"en": "Yes", "pl": "Tak", "es": "Sí", "ru": "Да", "fa": "بله"},
    "no": {"en": "No", "pl": "Nie", "es": "No", "ru": "Нет", "fa": "خیر"},
    "stale_button": {
        "en": "That button is from an earlier message, so it doesn't apply any more.",
        "pl": "Ten przycisk jest z wcześniejszej wiadomości, więc już nie działa.",
        "es": "Ese botón es de un mensaje anterior, así que ya no sirve.",
        "ru": "Эта кнопка из более раннего сообщения, поэтому она уже не действует.",
        "fa": "این دکمه مربوط به پیام قبلی است و دیگر کار نمی‌کند.",
    },
    "where_we_are": {
        "en": "Here's where we are:",
        "pl": "Oto, na czym skończyliśmy:",
        "es": "Aquí es donde estamos:",
        "ru": "Вот где мы остановились:",
        "fa": "این‌جا هستیم:",
    },
    # Said to a message the shop cannot read; "capabilities" follows, naming the flows.
    "unsupported_audio": {
        "en": "Sorry, I can't listen to voice or audio messages.",
        "pl": "Przepraszam, nie mogę odsłuchać wiadomości głosowych ani nagrań.",
        "es": "Lo siento, no puedo escuchar notas de voz ni audios.",
        "ru": "Извините, я не могу прослушать голосовые и аудиосообщения.",
        "fa": "متأسفم، نمی‌توانم پیام صوتی را گوش کنم.",
    },
    "unsupported_sticker": {
        "en": "Nice sticker! I can only read text, though.",
        "pl": "Fajna naklejka! Rozumiem jednak tylko tekst.",
        "es": "¡Bonito sticker! Pero solo puedo leer texto.",
        "ru": "Классный стикер! Но я понимаю только текст.",
        "fa": "استیکر قشنگی است! ولی من فقط متن را می‌فهمم.",
    },
    "unsupported_file": {
        "en": "Sorry, I can't open files or documents here.",
        "pl": "Przepraszam, nie mogę tu otwierać plików ani dokumentów.",
        "es": "Lo siento, aquí no puedo abrir archivos ni documentos.",
        "ru": "Извините, я не могу открывать здесь файлы и документы.",
        "fa": "متأسفم، این‌جا نمی‌توانم فایل یا سند را باز کنم.",
    },
    "unsupported_video": {
        "en": "Sorry, I can't watch videos.",
        "pl": "Przepraszam, nie mogę oglądać filmów.",
        "es": "Lo siento, no puedo ver vídeos.",
        "ru": "Извините, я не могу смотреть видео.",
        "fa": "متأسفم، نمی‌توانم ویدیو ببینم.",
    },
    "unsupported_image": {
        "en": "Thanks for the picture! I can't look at images, though.",
        "pl": "Dzięki za zdjęcie! Niestety nie potrafię oglądać obrazów.",
        "es": "¡Gracias por la imagen! Pero no puedo ver imágenes.",
        "ru": "Спасибо за фото! Но я не умею смотреть изображения.",
        "fa": "ممنون بابت تصویر! ولی نمی‌توانم تصویر را ببینم.",
    },
    "unsupported_location": {
        "en": "Thanks for the location! I don't need it right now.",
        "pl": "Dzięki za lokalizację! Teraz jej nie potrzebuję.",
        "es": "¡Gracias por la ubicación! Ahora no la necesito.",
        "ru": "Спасибо за геолокацию! Сейчас она мне не нужна.",
        "fa": "ممنون بابت موقعیت مکانی! الان به آن نیازی ندارم.",
    },
    "unsupported_contact": {
        "en": "Thanks for the contact! I don't need it right now.",
        "pl": "Dzięki za kontakt! Teraz go nie potrzebuję.",
        "es": "¡Gracias por el contacto! Ahora no lo necesito.",
        "ru": "Спасибо за контакт! Сейчас он мне не нужен.",
        "fa": "ممنون بابت مخاطب! الان به آن نیازی ندارم.",
    },
    "unsupported_reaction": {
        "en": "Thanks for the reaction!",
        "pl": "Dzięki za reakcję!",
        "es": "¡Gracias por la reacción!",
        "ru": "Спасибо за реакцию!",
        "fa": "ممنون بابت واکنش!",
    },
    "unsupported_other": {
        "en": "Sorry, I can't read that kind of message.",
        "pl": "Przepraszam, nie potrafię odczytać takiej wiadomości.",
        "es": "Lo siento, no puedo leer ese tipo de mensaje.",
        "ru": "Извините, я не могу прочитать такое сообщение.",
        "fa": "متأسفم، نمی‌توانم این نوع پیام را بخوانم.",
    },
    "capabilities": {
        "en": "Type what you need{% if topics %}: I can help with {{ topics }}{% endif %}.",
        "pl": "Napisz, czego potrzebujesz{% if topics %}: mogę pomóc w tych sprawach: "
        "{{ topics }}{% endif %}.",
        "es": "Escribe lo que necesitas{% if topics %}: puedo ayudarte con "
        "{{ topics }}{% endif %}.",
        "ru": "Напишите, что вам нужно{% if topics %}: я могу помочь с этим: "
        "{{ topics }}{% endif %}.",
        "fa": "بنویسید چه می‌خواهید{% if topics %}؛ در این موارد کمک می‌کنم: "
        "{{ topics }}{% endif %}.",
    },
}

INTERRUPTION_TRIGGERS: dict[str, dict[str, list[str]]] = {
    "help": {
        "en": ["help", "what can you do", "?"],
        "pl": ["pomoc", "pomocy", "co potrafisz"],
        "es": ["ayuda", "que puedes hacer"],
        "ru": ["помощь", "помоги", "что ты умеешь"],
        "fa": ["کمک", "راهنما", "راهنمایی"],
    },
    "cancel": {
        "en": ["cancel", "stop", "quit"],
        "pl": ["anuluj", "stop", "przerwij"],
        "es": ["cancelar", "parar", "detener"],
        "ru": ["отмена", "отменить", "стоп"],
        "fa": ["لغو", "توقف"],
    },
    "restart": {
        "en": ["restart", "start over", "reset"],
        "pl": ["od nowa", "zacznij od nowa", "restart"],
        "es": ["reiniciar", "empezar de nuevo"],
        "ru": ["заново", "начать заново", "сначала"],
        "fa": ["شروع دوباره", "از اول"],
    },
    "human": {
        "en": ["human", "agent", "person", "talk to a person", "talk to a human", "operator"],
        "pl": ["konsultant", "człowiek", "rozmowa z człowiekiem", "operator"],
        "es": ["humano", "agente", "persona", "hablar con una persona"],
        "ru": ["оператор", "человек", "менеджер", "поговорить с человеком"],
        "fa": ["اپراتور", "پشتیبان", "انسان", "صحبت با یک نفر"],
    },
    "language": {
        "en": ["language", "change language"],
        "pl": ["język", "zmień język"],
        "es": ["idioma", "cambiar idioma"],
        "ru": ["язык", "сменить язык"],
        "fa": ["زبان", "تغییر زبان"],
    },
}

# Sentences that ask for an interruption, recognised tolerant of word order and inflection
# (see understanding.intents); a shop adds more per locale under ``interruptions:``.
INTERRUPTION_EXAMPLES: dict[str, dict[str, list[str]]] = {
    "human": {
        "en": [
            "can I talk to someone",
            "I want to speak to a person",
            "talk to a real human",
            "connect me with an agent",
            "I need a human",
            "let me speak to customer service",
            "is there a real person",
            "put me through to someone",
            "speak with support staff",
            "can a person help me",
            "transfer me to a live agent",
            "can someone call me back",
            "I want to speak with your staff",
            "is anyone from the shop there",
            "let me talk to a consultant",
            "I need to talk to a manager",
            "please have someone contact me",
        ],
        "pl": [
            "chciałabym porozmawiać z konsultantem",
            "chcę rozmawiać z człowiekiem",
            "połącz mnie z konsultantem",
            "czy mogę porozmawiać z kimś",
            "poproszę człowieka",
            "chcę z żywym człowiekiem",
            "przełącz mnie do obsługi klienta",
            "potrzebuję konsultanta",
            "czy jest tam ktoś prawdziwy",
            "porozmawiać z pracownikiem",
            "poproszę kogoś z obsługi klienta",
            "chcę napisać do kogoś ze sklepu",
            "proszę o kontakt z pracownikiem",
            "niech ktoś do mnie zadzwoni",
            "chcę pogadać z kimś ze sklepu",
            "poproszę o telefon od konsultanta",
            "potrzebuję rozmowy z kierownikiem",
        ],
        "es": [
            "quiero hablar con una persona",
            "puedo hablar con alguien",
            "pásame con un agente",
            "necesito hablar con un humano",
            "quiero un agente",
            "atención al cliente por favor",
            "hay alguna persona real",
            "comunícame con un asesor",
            "hablar con un operador",
            "quiero hablar con alguien del equipo",
            "que me llame alguien",
            "me pasas con atención al cliente",
            "necesito que me contacte un empleado",
            "quiero hablar con el encargado",
        ],
        "ru": [
            "соедините меня с живым человеком",
            "хочу поговорить с оператором",
            "можно поговорить с человеком",
            "позовите менеджера",
            "нужен живой человек",
            "переключите на оператора",
            "хочу поговорить с сотрудником",
            "свяжите с поддержкой",
            "есть ли тут живой человек",
            "поговорить с консультантом",
            "свяжите меня с сотрудником магазина",
            "пусть мне перезвонят",
            "хочу поговорить с менеджером",
            "можно связаться с кем-то из команды",
            "дайте поговорить с консультантом",
        ],
        "fa": [
            "می‌خواهم با یک نفر صحبت کنم",
            "میخوام با اپراتور صحبت کنم",
            "با پشتیبانی وصلم کنید",
            "لطفا با یک انسان صحبت کنم",
            "می‌توانم با کسی حرف بزنم",
            "یک نفر واقعی هست",
            "وصلم کن به اپراتور",
            "با مسئول صحبت کنم",
            "پشتیبان آنلاین",
            "می‌خواهم با پشتیبانی صحبت کنم",
            "یکی با من تماس بگیرد",
            "می‌خواهم با کارشناس حرف بزنم",
            "لطفا یکی از همکارانتان جواب بدهد",
            "با مدیر فروشگاه کار دارم",
        ],
    },
    "help": {
        "en": [
            "what can you do",
            "how does this work",
            "help me please",
            "I need help",
            "what are my options",
        ],
        "pl": [
            "jak to działa",
            "w czym możesz pomóc",
            "pomóż mi",
            "potrzebuję pomocy",
            "co umiesz",
        ],
        "es": [
            "cómo funciona esto",
            "en qué me puedes ayudar",
            "ayúdame por favor",
            "necesito ayuda",
            "qué sabes hacer",
        ],
        "ru": [
            "как это работает",
            "чем ты можешь помочь",
            "помогите пожалуйста",
            "нужна помощь",
            "что ты умеешь делать",
        ],
        "fa": [
            "چطور کار می‌کند",
            "چه کاری می‌توانی انجام بدهی",
            "کمکم کن",
            "کمک لازم دارم",
            "چه کارهایی بلدی",
        ],
    },
    "cancel": {
        "en": ["cancel that", "never mind", "forget it", "stop this", "I changed my mind"],
        "pl": ["nieważne", "zapomnij", "anuluj to", "rozmyśliłam się", "przestań"],
        "es": ["olvídalo", "déjalo", "cancela eso", "cambié de opinión", "no importa"],
        "ru": ["забудь", "неважно", "отмени это", "я передумал", "хватит"],
        "fa": ["بیخیال", "ولش کن", "لغوش کن", "منصرف شدم"],
    },
    "language": {
        "en": [
            "can you speak another language",
            "switch language",
            "different language please",
            "do you speak polish",
            "in english please",
            "can we talk in spanish or russian",
        ],
        "pl": [
            "zmień język",
            "inny język",
            "czy możesz pisać w innym języku",
            "czy mówisz po angielsku",
            "po polsku proszę",
            "możemy rozmawiać po rosyjsku",
        ],
        "es": [
            "cambia el idioma",
            "otro idioma",
            "puedes hablar otro idioma",
            "hablas inglés",
            "en español por favor",
            "podemos hablar en polaco",
        ],
        "ru": [
            "смени язык",
            "другой язык",
            "можно на другом языке",
            "вы говорите по-английски",
            "по-русски пожалуйста",
            "можно по-польски",
        ],
        "fa": [
            "زبان را عوض کن",
            "زبان دیگر",
            "تغییر زبان بده",
            "انگلیسی صحبت می‌کنید",
            "فارسی لطفا",
            "میشه لهستانی حرف بزنیم",
        ],
    },
}

__all__ = [
    "INTERRUPTION_EXAMPLES",
    "INTERRUPTION_TRIGGERS",
    "LOCALE_NAMES",
    "RTL_LOCALES",
    "SYSTEM_TEXTS",
]
