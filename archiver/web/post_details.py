"""What a post shows besides its text and media (`posts.details`), shaped for the post page.

The platforms write details in a few shared shapes: `card` (a link card: `url` or `uri`,
`title`, `description`, `site_name`), `poll` (`options` as `{"title", "votes"}` or plain
strings, `votes`, `expires_at`, `final`), `labels` and `author_labels`, `notices` (sentences
the page must show, such as an author's request not to be shown to logged-out readers) and
`incomplete` (what the platform could not give yet). Everything else is listed as it is
stored. The details are archived content: any value may be of any type, and everything is
shown as text (the template escapes it); only http(s) URLs become links.
"""

from __future__ import annotations

import json
from typing import Any

# The keys shown in their own form; the rest are listed as stored.
_SHAPED = ("card", "poll", "labels", "author_labels", "notices", "incomplete")
_MAX_SHOWN_CHARS = 2_000


def external_link(url: Any) -> dict | None:
    """A link to the live web only for http(s) URLs; anything else is shown as text."""
    if not url:
        return None
    url = url if isinstance(url, str) else _shown(url)
    return {"text": url, "href": url if url.lower().startswith(("http://", "https://")) else None}


def post_details(stored: str | None) -> dict:
    """`posts.details` (JSON text) as the post page shows it."""
    try:
        details = json.loads(stored) if stored else {}
    except ValueError:
        details = {}
    if not isinstance(details, dict):
        details = {}
    return {
        "notices": _strings(details.get("notices")),
        "incomplete": _text(details.get("incomplete")),
        "card": _card(details.get("card")),
        "poll": _poll(details.get("poll")),
        "labels": _strings(details.get("labels")),
        "author_labels": _strings(details.get("author_labels")),
        "other": [(key, _shown(value)) for key, value in details.items() if key not in _SHAPED],
    }


def _card(card: Any) -> dict | None:
    if not isinstance(card, dict):
        return None
    url = card.get("url") or card.get("uri")
    shaped = {
        "link": external_link(url),
        "title": _text(card.get("title")),
        "description": _text(card.get("description")),
        "site_name": _text(card.get("site_name")),
    }
    return shaped if any(shaped.values()) else None


def _poll(poll: Any) -> dict | None:
    if not isinstance(poll, dict):
        return None
    options = []
    for option in poll.get("options") if isinstance(poll.get("options"), list) else []:
        if isinstance(option, dict):
            options.append(
                {"title": _text(option.get("title")), "votes": _count(option.get("votes"))}
            )
        else:
            options.append({"title": _text(option), "votes": None})
    total = _count(poll.get("votes"))
    if total is None and options and all(o["votes"] is not None for o in options):
        total = sum(o["votes"] for o in options)
    for option in options:
        share = option["votes"] / total if total and option["votes"] is not None else None
        option["percent"] = f"{share:.0%}" if share is not None else None
    final = poll.get("final")
    return {
        "question": _text(poll.get("question")),
        "options": options,
        "votes": total,
        "expires_at": _text(poll.get("expires_at")),
        "final": final if isinstance(final, bool) else None,
    }


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value[:_MAX_SHOWN_CHARS] if isinstance(value, str) else _shown(value)


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [text for item in values if (text := _text(item))]


def _shown(value: Any) -> str:
    """Any stored value as one line of text, cut to a length a page can hold."""
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= _MAX_SHOWN_CHARS else shown[:_MAX_SHOWN_CHARS] + "…"
