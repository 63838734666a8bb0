"""The token X's embed widget sends with a syndication `tweet-result` request.

The widget computes it in JavaScript from the post id; `syndication_token` does the
same arithmetic, including how V8 prints a double in base 36.
"""

from __future__ import annotations

import math
import re


def syndication_token(post_id: str) -> str:
    """The token the embed widget sends: ((id / 1e15) * pi) in base 36, zeros and dot removed."""
    return re.sub(r"0+|\.", "", _js_radix_string((int(post_id) / 1e15) * math.pi, 36))


def _js_radix_string(value: float, radix: int) -> str:
    """Number.prototype.toString(radix) for a non-negative double, as V8 computes it."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    integer = math.floor(value)
    fraction = value - integer
    # Fraction digits only up to the double's own precision.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    out_fraction: list[str] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            out_fraction.append(digits[digit])
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                # Round up, carrying into earlier digits as needed.
                while True:
                    if not out_fraction:
                        integer += 1
                        break
                    last = digits.index(out_fraction.pop())
                    if last + 1 < radix:
                        out_fraction.append(digits[last + 1])
                        break
                break
            if fraction < delta:
                break
    out_integer = ""
    integer = int(integer)
    while True:
        integer, remainder = divmod(integer, radix)
        out_integer = digits[remainder] + out_integer
        if integer == 0:
            break
    return out_integer + ("." + "".join(out_fraction) if out_fraction else "")
