"""Hostile XML is refused as ``hostile_xml`` and never reads a file or opens a connection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from communitas.alerts import cap
from communitas.alerts.cap import parse_cap
from communitas.errors import ValidationFailed

SAMPLE = (Path(__file__).parent / "samples" / "red_rainstorm_actual.xml").read_text("utf-8")
BODY = SAMPLE.split("\n", 1)[1]  # without the XML declaration
SECRET = "TOP-SECRET-MARKER-7f3a"


class Listener:
    """A TCP server on 127.0.0.1 that counts who connects to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def refused_as_hostile(xml: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_cap(xml.encode("utf-8"))
    assert caught.value.code == "hostile_xml", caught.value.details
    assert SECRET not in repr((caught.value, caught.value.details, caught.value.params))
    return caught.value


def with_note(doctype: str, note: str) -> str:
    """The valid sample with a DOCTYPE in front and ``note`` in a <note> element."""
    body = BODY.replace("<scope>Public</scope>", f"<scope>Public</scope>\n  <note>{note}</note>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{body}'


def assert_no_connection(listener: Listener) -> None:
    time.sleep(0.2)  # a late fetch would have arrived by now
    assert listener.connections == 0


def test_the_listener_does_see_a_real_connection(listener: Listener) -> None:
    socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()
    time.sleep(0.2)
    assert listener.connections == 1


def test_billion_laughs_is_refused() -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)]
    refused_as_hostile(with_note(f"<!DOCTYPE alert [{''.join(entities)}]>", "&lol9;"))


def test_quadratic_blowup_is_refused() -> None:
    big = "x" * 50_000
    refused_as_hostile(with_note(f'<!DOCTYPE alert [<!ENTITY a "{big}">]>', "&a;" * 200))


def test_external_entity_to_a_file_is_refused_and_nothing_is_read(secret_file: Path) -> None:
    for target in (secret_file.as_uri(), "file:///etc/passwd"):
        refused_as_hostile(with_note(
            f'<!DOCTYPE alert [<!ENTITY xxe SYSTEM "{target}">]>', "&xxe;"))


def test_external_entity_to_a_url_opens_no_connection(listener: Listener) -> None:
    refused_as_hostile(with_note(
        f'<!DOCTYPE alert [<!ENTITY xxe SYSTEM "{listener.url("xxe")}">]>', "&xxe;"))
    assert_no_connection(listener)


def test_external_dtd_and_parameter_entities_are_not_fetched(listener: Listener) -> None:
    refused_as_hostile(with_note(f'<!DOCTYPE alert SYSTEM "{listener.url("cap.dtd")}">', "x"))
    refused_as_hostile(with_note(
        f'<!DOCTYPE alert [<!ENTITY % remote SYSTEM "{listener.url("p.dtd")}"> %remote;]>',
        "x"))
    refused_as_hostile(with_note(
        f'<!DOCTYPE alert PUBLIC "-//X//DTD X//EN" "{listener.url("public.dtd")}">', "x"))
    assert_no_connection(listener)


def test_an_empty_doctype_is_refused_outright() -> None:
    refused_as_hostile(with_note("<!DOCTYPE alert>", "x"))


def test_xinclude_is_refused_and_nothing_is_read(listener: Listener, secret_file: Path) -> None:
    for href in (secret_file.as_uri(), listener.url("include.xml")):
        include = (f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{href}" '
                   'parse="text"/>')
        refused_as_hostile(with_note("", include))
    assert_no_connection(listener)


def test_schema_location_hints_are_ignored(listener: Listener) -> None:
    hinted = SAMPLE.replace(
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">',
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
        f'"urn:oasis:names:tc:emergency:cap:1.2 {listener.url("cap.xsd")}">')
    assert parse_cap(hinted.encode("utf-8")).identifier.endswith("_0")
    assert_no_connection(listener)


def test_an_oversized_document_is_refused() -> None:
    padding = "x" * (cap.MAX_CAP_BYTES + 1)
    refused_as_hostile(with_note("", padding))


def test_the_lxml_layer_alone_neither_reads_nor_connects(listener: Listener,
                                                         secret_file: Path) -> None:
    """Defence in depth: even past the DOCTYPE refusal, the lxml parser fetches nothing."""
    xml = (f'<!DOCTYPE a SYSTEM "{listener.url("a.dtd")}" [<!ENTITY f SYSTEM '
           f'"{secret_file.as_uri()}"><!ENTITY u SYSTEM "{listener.url("u")}">]>'
           "<a>&f;&u;</a>")
    root = etree.fromstring(xml.encode(), cap._hardened_parser())
    assert SECRET not in etree.tostring(root).decode()
    assert_no_connection(listener)
