"""Photos shoppers send in the chat: decoded, checked and re-encoded before anything keeps them.

Only what decodes as JPEG, PNG, WebP or HEIC/HEIF is taken, whatever the sender called it; the stored
file is a fresh encoding of the pixels alone (no EXIF with GPS, no XMP, ICC profile or comments, no bytes
a polyglot hid after the image), turned upright by its EXIF orientation and at most LONG_SIDE pixels
on its long side. Pure functions over bytes: the desk runs them in a thread (bot/desk/attachments.py).
"""
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageCms, ImageOps

MAX_BYTES = 10 * 1024 * 1024
# A phone photo is 12-48 megapixels; more is refused before its pixels are decoded (a small file can
# claim a huge canvas: a "decompression bomb").
MAX_PIXELS = 40_000_000
# A large canvas in few bytes is a bomb in all but name: deflate packs a blank RGBA canvas at ~250 pixels
# a byte, a real photo or screenshot of over 8 megapixels at well under 100. Refused before its pixels
# are decoded (JPEG is left out: its decoder scales large photos down as it reads them).
BOMB_FLOOR_PIXELS = 8_000_000
MAX_PIXELS_PER_BYTE = 200
LONG_SIDE = 2560
JPEG_QUALITY = 85
# A re-encoded PNG larger than this (a noisy photo with transparency) is kept as a JPEG on white instead.
MAX_STORED_BYTES = 8 * 1024 * 1024
# What Pillow calls the formats we take (pillow-heif registers "HEIF" for HEIC and HEIF files).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ONLY_PHOTOS = "Only photos (JPEG, PNG, WebP or HEIC) can be sent."
TOO_LARGE = "Photos can be up to 10 MB."
TOO_MANY_PIXELS = "That photo is too large to send; please send a smaller one."


class RefusedImage(ValueError):
    """Not a photo we take; the message is for the shopper."""


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str  # "image/jpeg" or "image/png"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


@lru_cache(maxsize=1)
def _open_heif() -> None:
    """Registered on first use, not at import: pillow-heif loads libheif."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


@lru_cache(maxsize=1)
def _srgb():
    return ImageCms.createProfile("sRGB")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _to_srgb(image: Image.Image) -> Image.Image:
    """An iPhone's Display P3 photo shown without its profile looks dull: convert the colours before the
    profile is dropped. A profile that cannot be read is ignored (the pixels are kept as they are)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _srgb(), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _looks_like_a_bomb(image: Image.Image, size: int) -> bool:
    pixels = image.width * image.height
    return image.format != "JPEG" and pixels > BOMB_FLOOR_PIXELS and pixels > MAX_PIXELS_PER_BYTE * size


def _on_white(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: what was see-through becomes white, as a viewer shows it."""
    if not _has_alpha(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _decode(data: bytes) -> Image.Image:
    _open_heif()
    # Pillow warns above MAX_IMAGE_PIXELS and refuses at twice that; the warning is made an error here,
    # and the limit is ours rather than Pillow's default of 89 megapixels.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise RefusedImage(TOO_MANY_PIXELS) from None
        except (OSError, ValueError, SyntaxError, EOFError):  # not an image of an accepted format
            raise RefusedImage(ONLY_PHOTOS) from None
        if image.format not in ACCEPTED_FORMATS:
            raise RefusedImage(ONLY_PHOTOS)
        if image.width * image.height > MAX_PIXELS or _looks_like_a_bomb(image, len(data)):
            raise RefusedImage(TOO_MANY_PIXELS)
        try:
            image.seek(0)  # an animation or a HEIC with several images: the first one only
            if image.format == "JPEG":
                image.draft("RGB", (LONG_SIDE, LONG_SIDE))  # the decoder scales down by 1/2..1/8 itself
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
            raise RefusedImage(ONLY_PHOTOS) from None  # truncated or corrupt
    return image


def reencode(data: bytes) -> Photo:
    """The photo as we keep it, or RefusedImage with a reason the shopper can read."""
    if len(data) > MAX_BYTES:
        raise RefusedImage(TOO_LARGE)
    image = _decode(data)
    keep_png = image.format == "PNG" or (image.format == "WEBP" and _has_alpha(image))
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, TypeError, KeyError):
        upright = image  # unreadable EXIF: no orientation to apply
    if upright is None:
        upright = image
    if keep_png:
        pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    else:
        pixels = _on_white(upright)
    if "icc_profile" in upright.info:
        pixels.info["icc_profile"] = upright.info["icc_profile"]
        pixels = _to_srgb(pixels)
    pixels.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    # A new image from the bare pixels: nothing of the original's info (EXIF, XMP, ICC, comments,
    # text chunks) can reach the encoder.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    if keep_png:
        png = _encoded(clean, format="PNG", optimize=True)
        if len(png) <= MAX_STORED_BYTES:
            return Photo(png, "image/png", clean.width, clean.height)
        # A noisy photo with transparency (a lossy WebP's noise) can be three times its upload as a PNG.
        clean = _on_white(clean)
    jpeg = _encoded(clean, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Photo(jpeg, "image/jpeg", clean.width, clean.height)


def _encoded(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, **options)
    return out.getvalue()
