"""The Telegram album post the --screenshot tests render: its recorded widget (also served as
the post's own page, which the browser loads) and its two photos."""

from __future__ import annotations

from factories import jpeg_bytes
from recorded import serve_fixture

POST_URL = "https://t.me/tchantest/14"
ALBUM_PHOTOS = [
    "https://cdn1.telegram-cdn.org/file/QMvda1Z9IET0DA4-jsfevuguTxnTpn6omRRA7gfRfYs6VCmxjsZdeX4R6k4n7rYe7skLclk-A1G7Dw4UuYzV5Ogj9KkYlLSsJD2x_WQDRqmUDauUWEAGa-JNACCFBH2zRJeFwb6OvAD6itpb05MbvyMVvsR18sw8Qe4VcPvODZmfKGxQ7ioslSsxTKoLz8KEAIcvPqVLkJKjkPVERS6u8QBSS-ZPOWu6RvJsS0_fS7oCTSfLjTmn3EfGlU3BvRAmNcVCQv7Jz-CPNBgXHUk5Bru05WNpsdaoCVfX9PzeDycLIoHm5S55H_TV9zocKvg_ZX0NVyLE_Em_wO7nbDwDRQ.jpg",
    "https://cdn1.telegram-cdn.org/file/CrsaR3dLCwSaTunI7l4nSUu5G7du7049yHXuZwbiOjAfSDEMrJaKiJ9-ly6RJOJf7wSYPGjpUppSBuqLkTbMIl_CMEpS_9nVLvNusCJTRXbhJbU4UFsTxiM89YyDE_9bapVEjoS9vhRS7qw1zSCbV2K42W3TZvvQ8scfiI2xiMIsRkw-YzpIVxbkzpeWz3-US6fi7DswlIobEgCG0uxmHdr6q2FEFOn9BCpfQHlrDqq8rCA9kBteMinAEkALObzktjJ76PMFWQZbQCcKIofW9oOThEJRAdFrRaho9PwBOQIcrSf_2MQmyqg8zA79k04ME76FsNNw3xr7xA160MHckA.jpg",
]


def serve_telegram_post(replay) -> list[bytes]:
    """The recorded album post: the widget the adapter reads, and its own page, and the photos."""
    serve_fixture(
        replay, f"{POST_URL}?embed=1", "telegram", "tme_embed_tchantest_14_album_constructed.html"
    )
    serve_fixture(replay, POST_URL, "telegram", "tme_embed_tchantest_14_album_constructed.html")
    photos = [jpeg_bytes(seed=41), jpeg_bytes(seed=42)]
    for url, body in zip(ALBUM_PHOTOS, photos, strict=True):
        replay.add(url, body, content_type="image/jpeg")
    return photos
