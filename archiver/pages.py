"""What an article page says about itself: title, site, author, date and readable text."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup

from .platforms.base import iso_utc

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


def page_metadata(document: str, *, is_html: bool) -> dict:
    """title, site_name, author, published_at (ISO 8601 when readable) and the page's plain text."""
    if not is_html:
        lines = [line.strip() for line in document.splitlines() if line.strip()]
        return {
            "title": None,
            "site_name": None,
            "author": None,
            "published_at": None,
            "text": "\n".join(lines),
        }
    soup = BeautifulSoup(document, "lxml")
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip()
        content = tag.get("content")
        if key and content and key.lower() not in meta:
            meta[key.lower()] = content.strip()
    found: dict = {}
    for name, keys in _META_FIELDS.items():
        found[name] = next((meta[k.lower()] for k in keys if meta.get(k.lower())), None)
    ld = _json_ld(soup)
    found["title"] = (
        found["title"]
        or ld.get("headline")
        or (soup.title.get_text(strip=True) if soup.title else None)
    )
    found["published_at"] = found["published_at"] or ld.get("datePublished")
    found["author"] = found["author"] or _ld_author(ld.get("author"))
    if found["published_at"]:
        found["published_at"] = iso_utc(found["published_at"]) or found["published_at"]
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    body = soup.find("article") or soup.find("main") or soup.body or soup
    text = "\n".join(line.strip() for line in body.get_text("\n").splitlines() if line.strip())
    found["text"] = text
    return found


def _json_ld(soup: BeautifulSoup) -> dict:
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@graph"):
                item = next(
                    (
                        g
                        for g in item["@graph"]
                        if isinstance(g, dict) and "Article" in str(g.get("@type"))
                    ),
                    item,
                )
            if isinstance(item, dict) and ("headline" in item or "datePublished" in item):
                return item
    return {}


def _ld_author(author) -> str | None:
    if isinstance(author, list):
        names = [_ld_author(a) for a in author]
        return ", ".join(n for n in names if n) or None
    if isinstance(author, dict):
        return author.get("name")
    return author if isinstance(author, str) else None
