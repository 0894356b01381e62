"""Reading the report's HTML back, shared by the report tests with and without a browser."""

from __future__ import annotations

from html.parser import HTMLParser


class Elements(HTMLParser):
    """Every start tag with its attributes, the text, and each table's rows, of a page or a rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[tuple[str, dict]]]] = {}  # class → rows → (cell text, cell attributes)
        self._table: list | None = None
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = [[], attrs]
        elif tag == "br" and self._cell is not None:
            self._cell[0].append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(("".join(self._cell[0]), self._cell[1]))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[0].append(data)

    def having(self, tag: str, css: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag and css in (a.get("class") or "").split()]

    def table(self, css: str) -> list[list[str]]:
        """The rows of the table of class ``css`` as text; the first row is the header."""
        return [[text for text, _ in row] for row in self.tables[css]]

    def cell(self, css: str, *row_start: str, column: str) -> tuple[str, dict]:
        """The cell under header ``column`` in the row whose first cells are ``row_start``."""
        rows = self.tables[css]
        index = [text for text, _ in rows[0]].index(column)
        row = next(r for r in rows[1:] if tuple(t for t, _ in r[:len(row_start)]) == row_start)
        return row[index]


def parse(html: str) -> Elements:
    page = Elements()
    page.feed(html)
    return page
