"""Finds a deep page of a list by the links its own pager offers.

The benchmark asks the page for its pager instead of building URLs itself,
so it keeps measuring a deep page when the pager changes from ``?page=N``
to a cursor (keyset pagination).
"""

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Elements without an end tag: they never open a level of nesting.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
KINDS = ("next", "last", "previous", "first")


def _kind(anchor: dict[str, str], text: str) -> str | None:
    """What a pager link leads to: by rel, else by its label or words ("Next →", "Last page")."""
    words = set(anchor.get("rel", "").lower().split())
    if "prev" in words:
        words.add("previous")
    for label in (anchor.get("aria-label", ""), anchor.get("title", ""), text):
        label = "".join(c for c in label.lower() if c.isalpha() or c == " ").strip()
        words.add(label.split(" ")[0] if label else "")
    return next((kind for kind in KINDS if kind in words), None)


class _PagerLinks(HTMLParser):
    """Collects the links of the first element whose class names a pager or pagination.

    Outside such an element only links with rel="next"/"last" count, so that
    an unrelated "Next" elsewhere on the page is not taken for the pager's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        self.depth = 0  # open elements inside the pager; 0 outside it
        self.pager_seen = False
        self.anchor: dict[str, str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if self.depth:
            if tag not in VOID:
                self.depth += 1
        elif not self.pager_seen and _is_pager(named.get("class", "")):
            self.pager_seen = True
            self.depth = 1
        if tag == "a" and named.get("href"):
            self.anchor, self.text = named, []

    def handle_data(self, data: str) -> None:
        if self.anchor is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.anchor is not None:
            kind = _kind(self.anchor, "".join(self.text))
            if kind and self.depth:
                self.links.setdefault(kind, self.anchor["href"])
            elif kind and kind in self.anchor.get("rel", "").lower().split():
                self.loose.setdefault(kind, self.anchor["href"])
            self.anchor = None
        if self.depth and tag not in VOID:
            self.depth -= 1


def _is_pager(classes: str) -> bool:
    return any("pager" in name or "pagination" in name for name in classes.lower().split())


def pager_links(html: str) -> dict[str, str]:
    """The pager's links by kind ("next", "last", "previous", "first"), hrefs as written."""
    parser = _PagerLinks()
    parser.feed(html)
    parser.close()
    return parser.links if parser.pager_seen else parser.loose


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _numbered(current: str, following: str) -> bool:
    """Whether ``following`` is ``current`` with only a page number added or changed.

    A cursor pager may show a page number too (for display), beside its cursor.
    """
    number = dict(_query(following)).get("page", "")
    others = sorted((k, v) for k, v in _query(following) if k != "page")
    return number.isdigit() and others == sorted((k, v) for k, v in _query(current) if k != "page")


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(page) if k == "page" else v) for k, v in _query(url)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def deep_page_url(
    url: str, html: str, *, page: int, fetch: Callable[[str], str], hops: int = 3
) -> str | None:
    """A deep page of the list at ``url`` whose first page is ``html``; None for one page.

    - A numbered pager (``?page=N``): its next link with ``page`` set to
      ``page`` (the paginator shows the last page when there are fewer).
    - A pager with a "last" link: that link.
    - A cursor pager with only "next": the page ``hops`` next links on; a
      keyset page costs the same at any depth, so a few hops stand for any.
    """
    links = pager_links(html)
    if "next" not in links:
        return urljoin(url, links["last"]) if "last" in links else None
    following = urljoin(url, links["next"])
    if _numbered(url, following):
        return _with_page(following, page)
    if "last" in links:
        return urljoin(url, links["last"])
    for _ in range(hops - 1):
        further = pager_links(fetch(following)).get("next")
        if further is None:
            break
        following = urljoin(following, further)
    return following
