"""The addresses printed on paper (flyers, phone enrolment, the public results page) and their QR codes.

Error correction Q (a quarter of the code may be dirty or creased) and a quiet zone of 4 modules keep a
printed code readable down to 2.5 cm wide.
"""

import io
import re

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from flask import current_app, has_request_context, request
from markupsafe import Markup, escape

QUIET_ZONE = 4
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
#: The address the command line prints when neither `PUBLIC_URL` nor `--base-url` says another.
LOCAL_URL = "http://127.0.0.1:5000"


def public_url(path: str = "", base: str | None = None) -> str:
    """The full address of `path` on this server: on `base` when given, else on `PUBLIC_URL` when set, else on
    the address this request came to (outside a request, `LOCAL_URL`)."""
    root = base or current_app.config.get("PUBLIC_URL") or (request.host_url if has_request_context() else LOCAL_URL)
    return root.rstrip("/") + path


def make_qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str, title: str = "") -> Markup:
    """An SVG that scales to its container (a viewBox, no fixed size, white background), for inline use and
    download; `title` names it for screen readers."""
    image = make_qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]+" height="[^"]+"', '<svg shape-rendering="crispEdges"', svg)
    label = f' role="img" aria-label="{escape(title)}"' if title else ""
    # The library draws paths only; the one text of the request in the markup, the title, is escaped.
    return Markup(svg.replace(">", f'{label}><rect width="100%" height="100%" fill="#fff"/>', 1))  # noqa: S704


def qr_png(data: str, box_size: int = 12) -> bytes:
    """A black-on-white PNG, `box_size` pixels a module."""
    code = make_qr(data)
    code.box_size = box_size
    image = code.make_image(image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def module_count(data: str) -> int:
    """Modules across, quiet zone included (to check the printed module size)."""
    code = make_qr(data)
    return code.modules_count + 2 * QUIET_ZONE


def print_qr(data: str) -> None:
    """The code in the terminal, as text (a narrower quiet zone: the screen is clean)."""
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    code.print_ascii(tty=False, invert=True)
