"""QR codes for flyers and phone enrolment, made with the `qrcode` library.

Error correction Q (a quarter of the code may be dirty or creased) and a quiet zone of 4 modules keep a
printed code readable down to 2.5 cm wide.
"""

import io
import re

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from flask import current_app, request
from markupsafe import escape

QUIET_ZONE = 4
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q


def public_base_url() -> str:
    """The address printed on paper: `PUBLIC_URL` when set, else the one this request came to."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def flyer_url(code: str) -> str:
    return f"{public_base_url()}/f/{code}"


def make_qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str, title: str = "") -> str:
    """An SVG that scales to its container (a viewBox, no fixed size), for inline use and download."""
    image = make_qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]+" height="[^"]+"', '<svg shape-rendering="crispEdges"', svg)
    label = f' role="img" aria-label="{escape(title)}"' if title else ""
    return svg.replace(">", f'{label}><rect width="100%" height="100%" fill="#fff"/>', 1)


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
