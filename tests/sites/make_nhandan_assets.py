"""Make the binary page resources of the sample site once: ``tests/sites/nhandan_assets/``.

The images (JPEG, PNG), the font and the PDF are kept in the repository as sources (like the
seed text): ``build_nhandan.py`` copies them byte for byte into ``nhandan/``, so its
``--check`` never depends on an image library's version. Run this only to change them
(needs Pillow, a dev dependency):

    .venv/bin/python tests/sites/make_nhandan_assets.py

Every picture is drawn from its file name (colours and shapes from a hash), so each article's
images differ visibly: a screenshot of a replay without them cannot pass for the live page.
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
OUT = HERE / "nhandan_assets"
FONT = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf")  # SIL OFL 1.1


def _palette(name: str) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(name.encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 30, 3)]


def picture(name: str, size: tuple[int, int]) -> Image.Image:
    w, h = size
    colours = _palette(name)
    top, bottom = colours[0], colours[1]
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / max(1, h - 1)
        draw.line(
            [(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    for n, colour in enumerate(colours[2:8]):
        x0 = (colour[0] * w) // 256
        y0 = (colour[1] * h) // 256
        r = (w // 10) + (colour[2] * w) // 1024
        if n % 2:
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=colour)
        else:
            draw.rectangle([x0 - r, y0 - r // 2, x0 + r, y0 + r // 2], fill=colour)
    return img


def save_jpeg(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=70, optimize=True)


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF 1.4 with a title and a few lines (Helvetica, ASCII)."""
    text = ["BT /F1 16 Tf 72 760 Td (" + title + ") Tj ET"]
    for n, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 72 {730 - 16 * n} Td ({line}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    data = tomllib.loads((HERE / "nhandan_articles.toml").read_text(encoding="utf-8"))
    files = sorted(
        {img["file"] for art in data["article"] for img in art.get("images", [])}
        | {art["seed_image"] for art in data["article"] if "seed_image" in art}
        | {"placeholder.jpg"}
    )
    for name in files:
        big = picture(name, (480, 270))
        save_jpeg(big, OUT / "images" / name)
        save_jpeg(big.resize((240, 135)), OUT / "images" / "w240" / name)
        save_jpeg(big.resize((160, 90)), OUT / "images" / "thumb" / name)
    assets = OUT / "assets" / "images"
    assets.mkdir(parents=True, exist_ok=True)
    band = picture("header-pattern", (64, 64))
    band.save(assets / "header-pattern.png", "PNG", optimize=True)
    logo = Image.new("RGB", (180, 48), (180, 20, 30))
    ImageDraw.Draw(logo).rectangle([8, 8, 40, 40], fill=(250, 210, 0))
    logo.save(assets / "logo-nhandan.png", "PNG", optimize=True)
    fonts = OUT / "assets" / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    shutil.copy(FONT, fonts / "nd-serif-bold.ttf")
    doc = OUT / "files" / "2015" / "01" / "bao-cao-tong-ket-2014.pdf"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_bytes(
        pdf(
            "Bao cao tong ket cong tac nam 2014",
            [
                "Van phong Chinh phu - Ha Noi, ngay 15 thang 01 nam 2015",
                "Toan van bao cao tai hoi nghi trien khai nhiem vu nam 2015.",
            ],
        )
    )
    count = sum(1 for p in OUT.rglob("*") if p.is_file())
    print(f"{OUT}: {count} files")


if __name__ == "__main__":
    main()
