"""Feed column names: Google's and Meta's attribute names and the localised names merchants'
spreadsheets carry, resolved to one attribute name.

``column_field("Image link")``, ``column_field("g:image_link")`` and
``column_field("Lien de l'image")`` are all ``"image_link"``.
"""

from __future__ import annotations

import re
import unicodedata

from catalog.feeds.google_xml import GOOGLE_ATTRIBUTES

_COLUMNS: dict[str, str] = {name: name for name in GOOGLE_ATTRIBUTES}
_COLUMNS.update(
    {
        "inventory": "quantity",  # Meta's older name
        "quantity": "quantity",
        "visibility": "status",
        "fb_product_category": "fb_product_category",
        "sale price": "sale_price",
        "image link": "image_link",
        "additional image link": "additional_image_link",
        "item group id": "item_group_id",
        "product type": "product_type",
        "google product category": "google_product_category",
        "age group": "age_group",
        "sale price effective date": "sale_price_effective_date",
    }
)

# Column names as Commerce Manager and merchants' spreadsheets write them in other languages
# (es, fr, pt, de, it, pl, ro, ru, ar, tr), by attribute, separated by " | ". Matched after
# folding case and accents (see :func:`column_key`).
LOCALISED_COLUMNS: dict[str, str] = {
    "id": "id de contenido | identificador | identifiant | identifiant de contenu | "
    "id do conteudo | id do produto | inhalts-id | artikel-id | id contenuto | "
    "identyfikator | id produsului | идентификатор | ид | المعرف | معرف المحتوى | "
    "icerik kimligi | kimlik",
    "title": "titulo | titre | titel | titolo | tytul | nazwa | titlu | название | заголовок | "
    "العنوان | baslik",
    "description": "descripcion | descricao | beschreibung | descrizione | opis | descriere | "
    "описание | الوصف | aciklama",
    "availability": "disponibilidad | disponibilite | disponibilidade | verfugbarkeit | "
    "disponibilita | dostepnosc | disponibilitate | наличие | доступность | التوفر | "
    "التوافر | stok durumu | kullanilabilirlik",
    "condition": "estado | etat | condicao | zustand | condizione | stan | stare | состояние | "
    "الحالة | durum",
    "price": "precio | prix | preco | preis | prezzo | cena | pret | цена | السعر | fiyat",
    "sale_price": "precio de oferta | precio rebajado | prix soldé | prix promotionnel | "
    "preco promocional | preco de oferta | angebotspreis | sonderangebotspreis | "
    "prezzo scontato | prezzo in offerta | cena promocyjna | pret redus | "
    "цена со скидкой | سعر التخفيض | سعر البيع | indirimli fiyat",
    "link": "enlace | lien | collegamento | ссылка | الرابط | baglanti",
    "image_link": "enlace de la imagen | enlace de imagen | lien de l'image | lien de l’image | "
    "link da imagem | bildlink | link immagine | link do obrazu | link imagine | "
    "ссылка на изображение | رابط الصورة | gorsel baglantisi",
    "additional_image_link": "enlace de imagen adicional | lien d'image supplementaire | "
    "link de imagem adicional | zusatzlicher bildlink | link immagine aggiuntiva | "
    "dodatkowy link do obrazu | ссылка на дополнительное изображение | "
    "رابط صورة إضافية",
    "brand": "marca | marque | marke | marchio | marka | бренд | العلامة التجارية",
    "item_group_id": "id del grupo de articulos | identifiant du groupe d'articles | "
    "id do grupo de itens | artikelgruppen-id | id gruppo articoli | "
    "identyfikator grupy produktow | id grup articole | "
    "идентификатор группы товаров | معرف مجموعة العناصر | urun grubu kimligi",
    "quantity": "inventario | inventaire | estoque | inventar | bestand | stan magazynowy | "
    "stoc | запасы | количество | المخزون | envanter | stok",
    "google_product_category": "categoria de producto de google | categorie de produits google | "
    "categoria do produto do google | google-produktkategorie | "
    "categoria di prodotto google | kategoria produktu google | "
    "categorie de produse google | категория товара google | فئة منتج google",
    "product_type": "tipo de producto | type de produit | tipo de produto | produkttyp | "
    "tipo di prodotto | typ produktu | tip de produs | тип товара | نوع المنتج | "
    "urun turu",
    "gender": "genero | sexe | geschlecht | genere | plec | sex | пол | الجنس | cinsiyet",
    "color": "couleur | cor | farbe | colore | kolor | culoare | цвет | اللون | renk",
    "size": "talla | taille | tamanho | grosse | taglia | rozmiar | marime | размер | "
    "المقاس | beden",
    "age_group": "grupo de edad | tranche d'age | faixa etaria | altersgruppe | fascia d'eta | "
    "grupa wiekowa | grupa de varsta | возрастная группа | الفئة العمرية | "
    "yas grubu",
}


def column_key(name: str) -> str:
    """A header cell as looked up: lower case, no accents, single spaces, no ``g:`` prefix,
    no ``*`` or ``(required)``-style marks around it."""
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff#*").strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    text = _MARKS.sub("", text).strip(" *:")
    return " ".join(text.removeprefix("g:").split())


_MARKS = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")
_LOCALISED = {
    column_key(alias): name
    for name, aliases in LOCALISED_COLUMNS.items()
    for alias in aliases.split(" | ")
}


def column_field(name: str) -> str | None:
    """The attribute a header cell names, or None for a column shopchat does not read."""
    key = column_key(name)
    return _COLUMNS.get(key.replace(" ", "_")) or _COLUMNS.get(key) or _LOCALISED.get(key)


__all__ = ["LOCALISED_COLUMNS", "column_field", "column_key"]
