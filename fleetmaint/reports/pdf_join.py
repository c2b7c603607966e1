"""One PDF from many, written as the parts arrive: memory holds one part, never the whole file.

ReportLab keeps every page of a document in memory until it saves it, so a
long report is built as a series of small documents (parts, see
:mod:`fleetmaint.reports.pdf_builder`). :class:`PdfJoin` copies each part's
pages and everything they use (fonts, content streams) into the output as
soon as the part is finished, numbering the objects anew, and writes the
page tree, the catalog and the cross-reference table at the end. What it
keeps between parts is one number per object (its offset in the file) and
one per page: a few hundred kilobytes for thousands of pages.

Content streams are copied as the part wrote them (compressed), never
decoded: pypdf reads the part, this module writes the bytes.
"""

import io
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

CATALOG, PAGE_TREE = 1, 2


class PdfJoin:
    """Writes a PDF to ``out`` from parts added in order; :meth:`close` finishes it."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.last_number = PAGE_TREE
        self.pages: list[int] = []
        self.info: int | None = None
        # A binary comment after the header tells transfer programs the file is binary.
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def add(self, part: BinaryIO) -> int:
        """Copies a finished part's pages to the output; returns how many it had."""
        return _PartCopier(self, PdfReader(part)).copy_pages()

    def close(self) -> None:
        kids = ArrayObject(IndirectObject(number, 0, None) for number in self.pages)
        self._object(
            PAGE_TREE,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Count"): NumberObject(len(self.pages)),
                    NameObject("/Kids"): kids,
                }
            ),
        )
        self._object(
            CATALOG,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Catalog"),
                    NameObject("/Pages"): IndirectObject(PAGE_TREE, 0, None),
                    NameObject("/PageMode"): NameObject("/UseNone"),
                }
            ),
        )
        self._xref_and_trailer()

    # --- writing ------------------------------------------------------------------------

    def allocate(self) -> int:
        self.last_number += 1
        return self.last_number

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)

    def _object(self, number: int, value: PdfObject) -> None:
        self.offsets[number] = self.position
        buffer = io.BytesIO()
        buffer.write(b"%d 0 obj\n" % number)
        _write_object(buffer, value)
        buffer.write(b"\nendobj\n")
        self._write(buffer.getvalue())

    def _xref_and_trailer(self) -> None:
        start = self.position
        size = self.last_number + 1
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, size)]
        trailer = DictionaryObject(
            {
                NameObject("/Size"): NumberObject(size),
                NameObject("/Root"): IndirectObject(CATALOG, 0, None),
            }
        )
        if self.info is not None:
            trailer[NameObject("/Info")] = IndirectObject(self.info, 0, None)
        buffer = io.BytesIO()
        buffer.write(b"".join(lines))
        buffer.write(b"trailer\n")
        trailer.write_to_stream(buffer)
        buffer.write(b"\nstartxref\n%d\n%%%%EOF\n" % start)
        self._write(buffer.getvalue())


class _PartCopier:
    """Copies one part's pages and what they reference, renumbering every object."""

    def __init__(self, join: PdfJoin, reader: PdfReader) -> None:
        self.join = join
        self.reader = reader
        self.numbers: dict[int, int] = {}
        self.queue: list[tuple[int, int]] = []

    def copy_pages(self) -> int:
        pages = self.reader.pages
        for page in pages:
            self.join.pages.append(self._number(page.indirect_reference.idnum))
        if self.join.info is None and "/Info" in self.reader.trailer:
            self.join.info = self._number(self.reader.trailer.raw_get("/Info").idnum)
        while self.queue:
            theirs, ours = self.queue.pop()
            value = self.reader.get_object(theirs)
            self.join._object(ours, self._copy(value, top=True))
        return len(pages)

    def _number(self, theirs: int) -> int:
        ours = self.numbers.get(theirs)
        if ours is None:
            ours = self.numbers[theirs] = self.join.allocate()
            self.queue.append((theirs, ours))
        return ours

    def _copy(self, value, *, top: bool = False):
        if isinstance(value, IndirectObject):
            return IndirectObject(self._number(value.idnum), 0, None)
        if isinstance(value, DictionaryObject):
            copied = StreamCopy(value) if isinstance(value, StreamObject) else DictionaryObject()
            for key, item in value.items():
                copied[key] = self._copy(item)
            if top and value.get("/Type") == "/Page":
                copied[NameObject("/Parent")] = IndirectObject(PAGE_TREE, 0, None)
            return copied
        if isinstance(value, ArrayObject):
            return ArrayObject(self._copy(item) for item in value)
        return value


class StreamCopy(DictionaryObject):
    """A stream's dictionary (renumbered) with its bytes exactly as they were stored."""

    def __init__(self, source: StreamObject) -> None:
        super().__init__()
        # pypdf keeps a stream's stored bytes in ``_data`` (``get_data`` would
        # decompress them); copying them untouched is the point of the join.
        self.raw = source._data


def _write_object(buffer: io.BytesIO, value: PdfObject) -> None:
    if isinstance(value, StreamCopy):
        header = DictionaryObject(value)
        header[NameObject("/Length")] = NumberObject(len(value.raw))
        header.write_to_stream(buffer)
        buffer.write(b"\nstream\n")
        buffer.write(value.raw)
        buffer.write(b"\nendstream")
    else:
        value.write_to_stream(buffer)
