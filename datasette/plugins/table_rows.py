"""The rows of Datasette's table markup (`templates/_table.html`), built in one Python pass.

Datasette renders every cell of a table page through its async Jinja template: on pages
of 50 posts × 21 columns that loop took a sixth of the time (12 ms of a 74 ms search page,
bench/README.md). This writes the same `<tr>`/`<td>` markup; cells are escaped as Jinja
escapes them (Markup from render_cell hooks and Datasette's links passes through), and
tests/test_datasette.py checks the rows against Datasette's own template.
"""

from __future__ import annotations

from collections.abc import Iterable

from datasette import hookimpl
from datasette.utils import to_css_class
from markupsafe import Markup, escape


def table_rows_html(rows: Iterable[Iterable[dict]]) -> Markup:
    """`<tr>` elements for Datasette's `display_rows`: one `<td>` per cell, as `_table.html` had."""
    css_classes: dict[str, str] = {}
    parts = []
    for row in rows:
        parts.append("<tr>")
        for cell in row:
            column = cell["column"]
            css = css_classes.get(column)
            if css is None:
                css = css_classes[column] = to_css_class(column)
            parts.append(
                f'<td class="col-{css} type-{escape(cell["value_type"])}">'
                f"{escape(cell['value'])}</td>"
            )
        parts.append("</tr>")
    return Markup("".join(parts))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.globals["archiver_table_rows"] = table_rows_html
