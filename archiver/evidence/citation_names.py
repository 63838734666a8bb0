"""How citations name a post's author: a personal name told from an organisation, then inverted,
given as initials or kept whole, with the @handle where each style puts it.
"""

from __future__ import annotations

import re

PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le",
             "bin", "ibn", "al", "ten", "ter", "dos", "das", "y"}  # fmt: skip


def split_personal_name(name: str | None) -> tuple[str, str, str] | None:
    """(given, particle, family) when `name` reads as a personal name in a Latin script, else None.

    An organisation or a name in a script without capitals stays whole (None): no style
    inverts what it cannot tell is a person's name.
    """
    tokens = (name or "").split()
    if not 2 <= len(tokens) <= 4:
        return None
    if not all(re.fullmatch(r"[^\W\d_][\w'’.\-]*", t) for t in tokens):
        return None
    given, rest = tokens[0], tokens[1:]
    particles = []
    while rest[:-1] and rest[0].lower() in PARTICLES and rest[0].islower():
        particles.append(rest.pop(0))
    family = " ".join(rest)
    capitalised = all(t[0].isupper() and not (len(t) > 1 and t.isupper()) for t in [given, *rest])
    if not family or not capitalised:
        return None
    return given, " ".join(particles), family


def name_or_handle(name: str | None, handle: str | None, unknown: str = "Unknown author") -> str:
    """The author's name as given, else the @handle, else `unknown`."""
    return name or (f"@{handle}" if handle else unknown)


def apa_author(name: str | None, handle: str | None) -> str:
    """APA: "van Linge, T. [@ThomasVLinge]"; a name that is not a person's stays whole."""
    in_brackets = f" [@{handle}]" if handle else ""
    parts = split_personal_name(name)
    if parts:
        given, particle, family = parts
        inverted = f"{_surname(particle, family)}, {_initials(given)}"
        # The element's own period closes "T." when no handle follows.
        return inverted + in_brackets if in_brackets else inverted.rstrip(".")
    if name:
        return name + in_brackets
    return name_or_handle(name, handle)


def inverted_author(name: str | None, handle: str | None, *, handle_in_brackets: bool) -> str:
    """MLA and Chicago's bibliography: "van Linge, Thomas" then the handle, [@h] or (@h)."""
    parts = split_personal_name(name)
    if parts:
        given, particle, family = parts
        name = f"{_surname(particle, family)}, {given}"
    if not name:
        return name_or_handle(name, handle)
    if not handle:
        return name
    return f"{name} [@{handle}]" if handle_in_brackets else f"{name} (@{handle})"


def natural_author(name: str | None, handle: str | None) -> str:
    """Chicago's note and Bluebook: "Thomas van Linge (@ThomasVLinge)"."""
    if name and handle:
        return f"{name} (@{handle})"
    return name_or_handle(name, handle)


def csl_name(name: str | None, handle: str | None) -> dict:
    """A CSL-JSON name: given, family and particle for a person, else one literal."""
    parts = split_personal_name(name)
    if parts:
        given, particle, family = parts
        csl = {"given": given, "family": family}
        if particle:
            csl["non-dropping-particle"] = particle
        return csl
    return {"literal": name_or_handle(name, handle, "Unknown")}


def _surname(particle: str, family: str) -> str:
    """The family name with its particle, as the inverted forms lead with it ("van Linge")."""
    return f"{particle} {family}" if particle else family


def _initials(given: str) -> str:
    return "-".join(f"{part[0]}." for part in given.split("-") if part)
