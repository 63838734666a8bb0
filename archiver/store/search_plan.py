"""How a search of the posts is run when it matches much of the archive (issue 17).

Datasette's table page searches with `rowid in (select rowid from posts_fts where posts_fts
match ...)`, and SQLite answers that by looking up every matching row and sorting them all:
on 1 M posts a word in 94 % of them took 6 s for the page's rows and 6 s more for its count
(bench/README.md). These rewrite the statements Datasette's table view makes for a search,
without changing what they return:

- the count of a search alone is counted in the full-text index (`posts_fts` is kept in step
  with `posts` by triggers, row for row);
- when the search matches many posts (BROAD_MATCHES or more) and the page is ordered by an
  indexed column, the rows are found by walking that index in the order asked and keeping
  the matches (`+rowid` stops SQLite from driving the query from the matches), which stops
  after one page: 0.4 s for the commonest word, where sorting its matches took 6 s;
- facets of a search matching more than FACETS_UP_TO posts are not counted: they cannot
  finish in Datasette's facet time limit (200 ms: a facet looks up every matching row,
  some 30 µs each), and the page lists them as timed out without spending it three times.

A statement that is not one of these shapes is run as it is.
"""

from __future__ import annotations

import re

# From this many matches on, walking the order's index finds a page sooner than sorting the
# matches (on 1 M posts: 6,000 matches, 10 ms against 111 ms; 600 matches, 38 ms against 17).
BROAD_MATCHES = 2_000
# Above this many matches a search's facets are not counted (see above).
FACETS_UP_TO = 10_000
# Tables whose search pages may be walked, and the indexed columns they may be walked by.
WALKABLE = {"posts": ("created_at",)}

_SEARCH = re.compile(
    r"(?<![+\w.\]])rowid in \(select rowid from (?P<fts>\[?\w+\]?) where (?P=fts) match"
    r" (?P<match>escape_fts\(:\w+\)|:\w+)\)"
)
_FROM = re.compile(r"\bfrom (?P<table>\[?\w+\]?) where ")
_ORDER = re.compile(r"\border by (?P<column>\[?\w+\]?)(?: desc)?(?:,|\s+limit\b|\s*$)")
_COUNT_ONLY_SEARCH = re.compile(
    r"^select count\(\*\) from (?P<table>\[?\w+\]?) where (?P<search>.*?)\s*$", re.S
)
_FACET = re.compile(
    r"^\s*select (?:date\()?\[?\w+\]?\)? as value, count\(\*\) as (?:count|n) from \(", re.S
)


def _name(text: str) -> str:
    return text.strip("[]")


def search_in(sql: str) -> re.Match | None:
    """The search clause of a statement Datasette's table view made for a search, if any."""
    return _SEARCH.search(sql)


def matches_sql(search: re.Match) -> str:
    """The statement counting the search's matches in its full-text index."""
    fts = search["fts"]
    return f"select count(*) from {fts} where {fts} match {search['match']}"


def fts_count(sql: str) -> str | None:
    """The count of a search alone (no other filter), as counted in the full-text index."""
    whole = _COUNT_ONLY_SEARCH.match(sql)
    search = search_in(sql)
    if whole is None or search is None or whole["search"] != search.group(0):
        return None
    return matches_sql(search)


def is_facet(sql: str) -> bool:
    """A facet's count over the rows of a search."""
    return bool(_FACET.match(sql)) and search_in(sql) is not None


def broad(sql: str) -> str | None:
    """A statement of a broad search driven by the table's other indexes instead of by the
    matches: its rows walked in the order's index, its count (with other filters) by their
    index or a scan; None for rows not ordered by a column WALKABLE names for their table."""
    search, table = search_in(sql), _FROM.search(sql)
    if search is None or table is None:
        return None
    if not sql.startswith("select count(*) "):
        order = _ORDER.search(sql)
        if order is None or _name(order["column"]) not in WALKABLE.get(_name(table["table"]), ()):
            return None
    return sql[: search.start()] + "+" + sql[search.start() :]
