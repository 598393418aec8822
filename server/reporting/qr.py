"""QR codes of a public results page, made with the `qrcode` library.

Error correction Q and a quiet zone of four modules keep a printed code readable when it is small.
"""

import io

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from flask import current_app, request, url_for
from markupsafe import Markup


def public_url(code: str) -> str:
    """The page's full address: `PUBLIC_URL` when set, else the host this request came to."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return base + url_for("public_results.page", code=code)


def make_code(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> Markup:
    """A scalable SVG (viewBox only, white background), for inline use and for download."""
    svg = make_code(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    head, rest = svg.split(">", 1)
    head = " ".join(part for part in head.split(" ") if not part.startswith(("width=", "height=")))
    # The library draws paths only; no text of the request ends up in the markup.
    return Markup(f'{head} class="qr" shape-rendering="crispEdges"><rect width="100%" height="100%" '  # noqa: S704
                  f'fill="#fff"/>{rest}')


def qr_png(data: str, box_size: int = 12) -> bytes:
    code = make_code(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(image_factory=qrcode.image.pil.PilImage).save(buffer, format="PNG")
    return buffer.getvalue()
