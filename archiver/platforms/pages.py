"""What a page says about itself: title, site, author, date, readable text, and its link card.

The link card is what the page tells link previews (OpenGraph, Twitter card,
JSON-LD): a generic page capture keeps it, and adapters for platforms without
an API (Instagram, Facebook, Threads) read a post's public copy from it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from archiver.platforms.base import iso_utc
from archiver.platforms.shapes import MAX_KEPT_DEPTH, nested_deeper_than, short_text, split_url
from archiver.platforms.shapes import text as text_of
from archiver.platforms.soup import parse_html, release

_META_FIELDS = {
    "title": ["og:title", "twitter:title"],
    "site_name": ["og:site_name", "application-name"],
    "author": ["author", "article:author", "parsely-author", "sailthru.author", "dc.creator"],
    "published_at": [
        "article:published_time",
        "datePublished",
        "pubdate",
        "date",
        "dc.date",
        "parsely-pub-date",
    ],
}


def looks_like_html(document: str) -> bool:
    head = document[:4096].lower()
    return (
        "<html" in head
        or "<!doctype html" in head
        or bool(re.search(r"<(body|div|p|blockquote|head)\b", head))
    )


def page_metadata(document: str, *, is_html: bool, url: str | None = None) -> dict:
    """title, site_name, author, published_at (ISO 8601 when readable), the plain text,
    and the link card: description, image_url (absolute, against `url`) and meta (JSON-able)."""
    if not is_html:
        lines = [line.strip() for line in document.splitlines() if line.strip()]
        return {
            "title": None,
            "site_name": None,
            "author": None,
            "published_at": None,
            "text": "\n".join(lines),
            "description": None,
            "image_url": None,
            "meta": None,
        }
    soup = parse_html(document)
    meta = _meta_tags(soup)
    card = _card(soup, meta, url)
    found: dict = {}
    for name, keys in _META_FIELDS.items():
        found[name] = next((meta[k.lower()] for k in keys if meta.get(k.lower())), None)
    ld = _main_ld(_json_ld_items(soup))
    found["title"] = (
        found["title"]
        or text_of(ld.get("headline"))
        or (soup.title.get_text(strip=True) if soup.title else None)
    )
    found["published_at"] = found["published_at"] or text_of(ld.get("datePublished"))
    found["author"] = found["author"] or _ld_author(ld.get("author"))
    if found["published_at"]:
        found["published_at"] = iso_utc(found["published_at"]) or found["published_at"]
    found["description"], found["image_url"] = card["description"], card["image"]
    found["meta"] = card["meta"]
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    body = soup.find("article") or soup.find("main") or soup.body or soup
    text = "\n".join(line.strip() for line in body.get_text("\n").splitlines() if line.strip())
    found["text"] = text
    release(soup)
    return found


def _main_ld(items: list[dict]) -> dict:
    """The JSON-LD object describing the page itself: an Article, else one with a headline or date."""
    articles = [i for i in items if "Article" in str(i.get("@type"))]
    dated = [i for i in items if "headline" in i or "datePublished" in i]
    return next(iter(articles + dated), {})


def _ld_author(author) -> str | None:
    if isinstance(author, list):
        names = [_ld_author(a) for a in author if not isinstance(a, list)]
        return ", ".join(n for n in names if n) or None
    if isinstance(author, dict):
        return short_text(author.get("name"))
    return short_text(author)


def page_card(document: str, url: str | None = None) -> dict:
    """The page's link card: title, description, image (absolute), site_name, type, url,
    published_at, author, and `meta` with every OpenGraph/Twitter/article tag and the JSON-LD."""
    soup = parse_html(document)
    card = _card(soup, _meta_tags(soup), url)
    release(soup)
    return card


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """Every <meta> by its property/name/itemprop, lowercased; the first of a name wins."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip()
        # Some saved pages carry the value in value= rather than content= (postlight's CNN copy).
        content = tag.get("content") if tag.get("content") is not None else tag.get("value")
        if key and content and key.lower() not in meta:
            meta[key.lower()] = content.strip()
    return meta


# The tags a link preview reads; `meta` keeps all of these the page has.
_CARD_PREFIXES = ("og:", "twitter:", "article:", "video:", "music:", "al:", "instapp:")
_CARD_NAMES = ("description", "author", "datepublished", "uploaddate", "duration", "keywords")


def _card(soup: BeautifulSoup, meta: dict[str, str], url: str | None) -> dict:
    ld_items = _json_ld_items(soup)
    ld = _main_ld(ld_items) or next(iter(ld_items), {})

    def first(*keys: str) -> str | None:
        return next((meta[k] for k in keys if meta.get(k)), None)

    canonical = soup.find("link", rel="canonical")
    image = first(
        "og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"
    )
    image = image or _ld_image(ld.get("image") or ld.get("thumbnailUrl"))
    if not image:
        link = soup.find("link", rel="image_src")
        image = link.get("href") if link else None
    kept = {k: v for k, v in meta.items() if k.startswith(_CARD_PREFIXES) or k in _CARD_NAMES}
    if canonical and canonical.get("href"):
        kept["canonical"] = canonical["href"]
    if ld_items:
        kept["json_ld"] = ld_items
    published = first("article:published_time", "datepublished", "uploaddate", "og:published_time")
    published = published or text_of(ld.get("datePublished")) or text_of(ld.get("uploadDate"))
    return {
        "title": first("og:title", "twitter:title")
        or text_of(ld.get("headline"))
        or text_of(ld.get("name")),
        "description": first("og:description", "twitter:description", "description")
        or text_of(ld.get("description"))
        or text_of(ld.get("caption")),
        "image": _absolute(image.strip(), url) if image else image,
        "site_name": first("og:site_name"),
        "type": first("og:type"),
        "url": first("og:url") or (canonical.get("href") if canonical else None),
        "published_at": (iso_utc(published) or published) if isinstance(published, str) else None,
        "author": first("author", "article:author") or _ld_author(ld.get("author")),
        "meta": kept,
    }


def _absolute(link: str, base: str | None) -> str | None:
    """The link made absolute against the page's URL; None when it is no URL at all."""
    if split_url(link) is None:
        return None
    return urljoin(base, link) if base else link


def _json_ld_items(soup: BeautifulSoup) -> list[dict]:
    """Every JSON-LD object on the page, @graph members flattened."""
    items: list[dict] = []
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except (ValueError, RecursionError):
            continue
        if nested_deeper_than(data, MAX_KEPT_DEPTH):
            continue  # no description of a page nests so deep; kept, it could not be stored
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and isinstance(item.get("@graph"), list):
                items.extend(g for g in item["@graph"] if isinstance(g, dict))
            elif isinstance(item, dict):
                items.append(item)
    return items


def _ld_image(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) and value else None
