#!/usr/bin/python3
"""Writes pil_goldens.safetensors: what PIL 9.4 itself does, to check image/ against beyond the
project fixtures. Run with Debian bookworm's python3-pil (9.4.0, libjpeg-turbo 2.1):

    /usr/bin/python3 make_pil_goldens.py pil_goldens.safetensors

Every tensor is U8. Cases (the __metadata__ "cases" entry lists them as JSON):
  resize{i}.png    a random image saved as PNG by PIL (modes L, LA, RGB, RGBA, P)
  resize{i}.out    im.resize((w, h), filter).tobytes() (same mode; P gives indices)
  convert{i}.png / .rgb / .over_white
                   im.convert("RGB") and Image.alpha_composite(white, im.convert("RGBA")).convert("RGB")
  jpeg{i}.jpg / .out
                   a PIL-encoded JPEG (4:4:4, 4:2:2, 4:2:0, progressive, grey) and PIL's decode of it
  format{i}.file / .rgb / .native
                   BMP, GIF, TIFF and CMYK/YCCK JPEG files (PIL-written, or hand-made where PIL writes no
                   such file; ycck.jpg and cmyk_no_adobe.jpg beside this script were written by the JDK's
                   libjpeg with WriteFourComponentJpeg.java), im.convert("RGB").tobytes() and im.tobytes()
                   (the case's "mode" is PIL's mode on opening)
  refused{i}.file  files PIL opens that akvq refuses by design (WebP)
Pure Python (no numpy); deterministic (random.Random(20241216)).
"""
import io
import json
import random
import struct
import sys
import zlib

from PIL import Image

rng = random.Random(20241216)
tensors = {}
cases = []


def add(name, data, shape=None):
    tensors[name] = (bytes(data), shape or [len(data)])


def random_image(mode, w, h):
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 1}[mode]
    data = bytes(rng.randrange(256) for _ in range(w * h * channels))
    if mode == "P":
        im = Image.frombytes("P", (w, h), data)
        im.putpalette([rng.randrange(256) for _ in range(3 * 256)])
        return im
    return Image.frombytes(mode, (w, h), data)


def png_bytes(im):
    b = io.BytesIO()
    im.save(b, format="PNG")
    return b.getvalue()


i = 0
for filt in range(6):  # NEAREST, LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING
    for mode in ("L", "LA", "RGB", "RGBA"):
        for k in range(3):
            w, h = rng.randint(1, 24), rng.randint(1, 24)
            ow, oh = rng.randint(1, 40), rng.randint(1, 40)
            if k == 0:
                oh = h  # horizontal pass only
            im = random_image(mode, w, h)
            out = im.resize((ow, oh), filt)
            add(f"resize{i}.png", png_bytes(im))
            add(f"resize{i}.out", out.tobytes())
            cases.append({"name": f"resize{i}", "mode": mode, "filter": filt, "size": [ow, oh]})
            i += 1
for k in range(3):
    w, h = rng.randint(2, 24), rng.randint(2, 24)
    ow, oh = rng.randint(1, 40), rng.randint(1, 40)
    im = random_image("P", w, h)
    out = im.resize((ow, oh), Image.LANCZOS)  # P: PIL falls back to NEAREST
    add(f"resize{i}.png", png_bytes(im))
    add(f"resize{i}.out", out.tobytes())
    cases.append({"name": f"resize{i}", "mode": "P", "filter": 1, "size": [ow, oh]})
    i += 1

j = 0
for mode in ("L", "LA", "RGB", "RGBA", "P"):
    im = random_image(mode, 7, 5)
    if mode == "P":
        im.putpalette([rng.randrange(256) for _ in range(3 * 16)])  # a short palette: indices past it
    data = png_bytes(im)
    im = Image.open(io.BytesIO(data))  # what Image.open gives (a short palette is saved at fewer bits)
    add(f"convert{j}.png", data)
    add(f"convert{j}.rgb", im.convert("RGB").tobytes())
    white = Image.new("RGBA", im.size, (255, 255, 255))
    add(f"convert{j}.over_white", Image.alpha_composite(white, im.convert("RGBA")).convert("RGB").tobytes())
    cases.append({"name": f"convert{j}", "mode": mode})
    j += 1


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# an 8-bit palette PNG whose PLTE has 16 entries and whose indices go past them: PIL looks those
# up in the grey ramp its palettes start from
indices = bytes(rng.randrange(256) for _ in range(7 * 5))
raw = b"".join(b"\0" + indices[7 * y : 7 * y + 7] for y in range(5))
short = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 5, 8, 3, 0, 0, 0))
         + chunk(b"PLTE", bytes(rng.randrange(256) for _ in range(48))) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
im = Image.open(io.BytesIO(short))
add(f"convert{j}.png", short)
add(f"convert{j}.rgb", im.convert("RGB").tobytes())
add(f"convert{j}.over_white", Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255)), im.convert("RGBA")).convert("RGB").tobytes())
cases.append({"name": f"convert{j}", "mode": "P"})
j += 1
# 16-bit grey: PIL opens it as mode I; convert("RGB") clips at 255
im16 = Image.frombytes("I;16", (6, 4), bytes(rng.randrange(256) if n % 2 == 0 else rng.choice([0, 0, 1, 7]) for n in range(48)))
add(f"convert{j}.png", png_bytes(im16))
reopened = Image.open(io.BytesIO(png_bytes(im16)))
add(f"convert{j}.rgb", reopened.convert("RGB").tobytes())
add(f"convert{j}.over_white", reopened.convert("RGB").tobytes())
cases.append({"name": f"convert{j}", "mode": reopened.mode})

# JPEG: smooth colour so the chroma subsampling matters, odd sizes for the edges
w, h = 37, 29
pixels = bytes(
    v
    for y in range(h)
    for x in range(w)
    for v in ((x * 7 + y * 3) % 256, (x * x + y * 11) % 256, (255 - x * 5 + rng.randrange(30)) % 256)
)
colour = Image.frombytes("RGB", (w, h), pixels)
jpegs = [
    ("444", colour, dict(quality=90, subsampling=0)),
    ("422", colour, dict(quality=90, subsampling=1)),
    ("420", colour, dict(quality=90, subsampling=2)),
    ("420 progressive", colour, dict(quality=80, subsampling=2, progressive=True)),
    ("grey", colour.convert("L"), dict(quality=85)),
]
for n, (label, im, options) in enumerate(jpegs):
    b = io.BytesIO()
    im.save(b, format="JPEG", **options)
    decoded = Image.open(io.BytesIO(b.getvalue()))
    add(f"jpeg{n}.jpg", b.getvalue())
    add(f"jpeg{n}.out", decoded.tobytes())
    cases.append({"name": f"jpeg{n}", "mode": decoded.mode, "label": label})



# Formats beyond PNG and JPEG: BMP, GIF (first frame), TIFF, four-component JPEG
def saved(im, fmt, **options):
    b = io.BytesIO()
    im.save(b, format=fmt, **options)
    return b.getvalue()


def smooth(w, h):
    return Image.frombytes("RGB", (w, h), bytes(
        v for y in range(h) for x in range(w)
        for v in ((x * 9 + y * 2) % 256, (x * y + 40) % 256, (250 - x * 3 - y * 4 + rng.randrange(20)) % 256)))


def bmp16(w, h, bitfields):
    # a bottom-up 16-bit BMP: BI_RGB (5-5-5) or BI_BITFIELDS with 5-6-5 masks
    stride = (2 * w + 3) & ~3
    rows = b"".join(bytes(rng.randrange(256) for _ in range(2 * w)) + bytes(stride - 2 * w) for _ in range(h))
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F) if bitfields else b""
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 3 if bitfields else 0, len(rows), 2835, 2835, 0, 0)
    offset = 14 + len(info) + len(masks)
    return b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset) + info + masks + rows


k = 0
formats = []
rgb = smooth(19, 13)
first = random_image("P", 11, 9)
second = random_image("P", 11, 9)
transparent = random_image("P", 10, 7)
transparent.info["transparency"] = 3
cmyk = Image.frombytes("CMYK", (15, 11), bytes(rng.randrange(256) for _ in range(15 * 11 * 4)))
formats += [
    ("bmp rgb", saved(rgb, "BMP")),
    ("bmp grey", saved(rgb.convert("L"), "BMP")),
    ("bmp palette", saved(random_image("P", 13, 6), "BMP")),
    ("bmp 1-bit", saved(rgb.convert("1"), "BMP")),
    ("bmp rgba", saved(random_image("RGBA", 9, 5), "BMP")),
    ("bmp 16-bit 5-5-5", bmp16(7, 5, False)),
    ("bmp 16-bit 5-6-5 bitfields", bmp16(6, 4, True)),
    ("gif palette", saved(first, "GIF")),
    ("gif first of two frames", saved(first, "GIF", save_all=True, append_images=[second], duration=100)),
    ("gif transparency", saved(transparent, "GIF", transparency=3)),
    ("gif grey", saved(rgb.convert("L"), "GIF")),
    ("tiff rgb raw", saved(rgb, "TIFF")),
    ("tiff rgb lzw", saved(rgb, "TIFF", compression="tiff_lzw")),
    ("tiff rgb deflate", saved(rgb, "TIFF", compression="tiff_adobe_deflate")),
    ("tiff rgb packbits", saved(rgb, "TIFF", compression="packbits")),
    ("tiff rgba", saved(random_image("RGBA", 8, 6), "TIFF", compression="tiff_lzw")),
    ("tiff grey", saved(rgb.convert("L"), "TIFF")),
    ("tiff palette", saved(random_image("P", 9, 7), "TIFF")),
    ("jpeg cmyk adobe (PIL)", saved(cmyk, "JPEG", quality=90)),
]
here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
for label, name in (("jpeg ycck adobe (libjpeg)", "ycck.jpg"), ("jpeg cmyk without adobe (libjpeg)", "cmyk_no_adobe.jpg")):
    with open(here + "/" + name, "rb") as f:
        formats.append((label, f.read()))
for label, data in formats:
    im = Image.open(io.BytesIO(data))
    add(f"format{k}.file", data)
    add(f"format{k}.rgb", im.convert("RGB").tobytes())
    add(f"format{k}.native", im.tobytes())
    cases.append({"name": f"format{k}", "mode": im.mode, "label": label, "format": im.format})
    k += 1
add("refused0.file", saved(rgb, "WEBP", lossless=True))
cases.append({"name": "refused0", "label": "webp", "format": "WEBP"})

header = {"__metadata__": {"cases": json.dumps(cases), "PIL": Image.__version__}}
offset = 0
for name, (data, shape) in tensors.items():
    header[name] = {"dtype": "U8", "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header, separators=(",", ":"))
text += " " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text.encode())
    for data, _ in tensors.values():
        f.write(data)
