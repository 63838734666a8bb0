"""Near-duplicate media by perceptual hash, and word differences between two copies of a text."""

from __future__ import annotations

from archiver.evidence.textdiff import (
    MAX_DIFF_CHARS,
    Segment,
    same_but_spacing,
    same_words,
    word_diff,
)
from archiver.media.similar import hamming_hex, near_duplicate

PDQ = "f" * 64


def flip(hexhash: str, bits: int) -> str:
    """The hash with its lowest BITS bits inverted."""
    return format(int(hexhash, 16) ^ ((1 << bits) - 1), f"0{len(hexhash)}x")


def test_hamming_distance_of_hex_hashes():
    assert hamming_hex("c3c3c3c33c3c3c3c", "c3c3c3c33c3c3c3f") == 2
    assert hamming_hex(PDQ, flip(PDQ, 31)) == 31
    assert hamming_hex("abc", "abcd") is None and hamming_hex("zz", "00") is None
    assert hamming_hex(None, "00") is None


def test_near_duplicate_thresholds():
    far_phash = ("0" * 16, "f" * 16)
    assert near_duplicate(PDQ, 90, flip(PDQ, 31), 90, *far_phash)
    assert not near_duplicate(PDQ, 90, flip(PDQ, 32), 90, *far_phash)
    assert not near_duplicate(PDQ, 90, PDQ, 49, *far_phash)  # an unreliable PDQ hash says nothing
    assert near_duplicate(None, None, None, None, "0" * 16, flip("0" * 16, 8))
    assert not near_duplicate(None, None, None, None, "0" * 16, flip("0" * 16, 9))


def test_word_diff_marks_what_each_copy_alone_has():
    segments = word_diff("Flag over the regional command", "Flag over the Northeastern command")
    assert segments == [
        Segment("same", "Flag over the "),
        Segment("post", "regional"),
        Segment("article", "Northeastern"),
        Segment("same", " command"),
    ]
    assert same_words("a  b\nc", "a b c")
    assert word_diff("x" * MAX_DIFF_CHARS, "y") is None


def test_a_copy_that_ran_a_line_break_into_a_word_differs_only_in_spacing():
    post, article = "flag over the center.\n\n#MNDAA #Lashio", "flag over the center.#MNDAA #Lashio"
    assert not same_words(post, article)
    assert same_but_spacing(post, article)
    assert not same_but_spacing(post, article.replace("center", "centre"))


def test_the_word_diff_does_not_mark_a_line_break_run_into_a_word():
    segments = word_diff("the center.\n\n#MNDAA forces pic", "the center.#MNDAA forces link")
    assert [(s.side, s.text) for s in segments] == [
        ("same", "the center.\n\n#MNDAA forces "),
        ("post", "pic"),
        ("article", "link"),
    ]
