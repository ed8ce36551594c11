"""A drawn SVG poster (genre colour, title, year) for films without a TMDB poster."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.catalog.film import Film


_GENRE_COLOURS = {
    "action": "#c0392b",
    "adventure": "#d35400",
    "animation": "#f39c12",
    "comedy": "#e5b627",
    "crime": "#34495e",
    "documentary": "#16a085",
    "drama": "#8e44ad",
    "family": "#27ae60",
    "fantasy": "#6c5ce7",
    "foreign": "#7f8c8d",
    "history": "#a0522d",
    "horror": "#2c2c2c",
    "music": "#e84393",
    "mystery": "#2d3561",
    "romance": "#e0567a",
    "science fiction": "#0984e3",
    "tv movie": "#636e72",
    "thriller": "#4b4b6b",
    "war": "#5d6d3e",
    "western": "#b7793f",
}
_DEFAULT_COLOUR = "#3d4a5c"
_W, _H = 342, 513
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _genre_colour(genre: str) -> str:
    name = genre.strip().lower()
    if name in _GENRE_COLOURS:
        return _GENRE_COLOURS[name]
    digest = hashlib.sha256(name.encode("utf-8", "replace")).digest()
    r, g, b = (64 + digest[i] % 128 for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def _darken(colour: str, factor: float = 0.45) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def _clean(text: Any, limit: int) -> str:
    """Printable, XML-legal, single-spaced text of at most `limit` characters."""
    value = _XML_INVALID.sub("", str(text or ""))
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    value = " ".join(value.split())
    return value[: limit - 1] + "…" if len(value) > limit else value


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Greedy wrap by display width; long words are split; the last line gets an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        while _cells(word) > width:  # split overlong words (and CJK runs without spaces)
            cut = 1
            while cut < len(word) and _cells(word[: cut + 1]) <= width:
                cut += 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if _cells(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _cells(last) > width - 1:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def placeholder_svg(film: Film) -> str:
    """A drawn poster card (title, year, genre colours) as a data:image/svg+xml;base64 URI."""
    title = _clean(getattr(film, "title", ""), 160) or "Untitled"
    year = getattr(film, "year", None)
    year_text = str(year) if isinstance(year, int) and 0 < year < 10000 else ""
    genres = [_clean(g, 24) for g in (getattr(film, "genres", None) or ()) if isinstance(g, str)]
    genres = [g for g in genres if g][:3]
    top = _genre_colour(genres[0]) if genres else _DEFAULT_COLOUR
    bottom = _darken(_genre_colour(genres[1]) if len(genres) > 1 else top)
    lines = _wrap(title, 13, 5)
    size = 34 if len(lines) <= 2 else 28 if len(lines) <= 4 else 24
    step = int(size * 1.2)
    first_y = int(_H * 0.42 - (len(lines) - 1) * step / 2)
    title_svg = "".join(
        f'<tspan x="{_W // 2}" y="{first_y + i * step}">{_esc(line)}</tspan>' for i, line in enumerate(lines)
    )
    genre_line = _esc(" · ".join(genres[:2]))
    label = _esc(f"{title} ({year_text})" if year_text else title)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        '<defs><linearGradient id="g" x1="0" y1="0" x2="0.35" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient></defs>"
        f'<rect width="{_W}" height="{_H}" rx="14" fill="url(#g)"/>'
        f'<rect x="14" y="14" width="{_W - 28}" height="{_H - 28}" rx="10" fill="none" '
        'stroke="#ffffff" stroke-opacity="0.35" stroke-width="2"/>'
        f'<circle cx="{_W // 2}" cy="70" r="22" fill="none" stroke="#ffffff" stroke-opacity="0.6" '
        'stroke-width="3"/><path d="M163 59 L185 70 L163 81 Z" fill="#ffffff" fill-opacity="0.6"/>'
        f'<text text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-weight="700" '
        f'font-size="{size}" fill="#ffffff">{title_svg}</text>'
        f'<text x="{_W // 2}" y="{_H - 78}" text-anchor="middle" font-family="Helvetica, Arial, '
        f'sans-serif" font-size="26" fill="#ffffff" fill-opacity="0.9">{_esc(year_text)}</text>'
        f'<text x="{_W // 2}" y="{_H - 44}" text-anchor="middle" font-family="Helvetica, Arial, '
        f'sans-serif" font-size="18" fill="#ffffff" fill-opacity="0.75">{genre_line}</text>'
        "</svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
