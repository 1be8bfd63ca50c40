"""classroom.lan: the join code, the teacher's token, the laptop's address on the local network,
and the join URL's QR code, drawn for a terminal and as SVG."""

import ipaddress
import math
import re
import socket
import xml.etree.ElementTree as ET

import pytest

from classroom import lan

pytestmark = pytest.mark.serve
LONGEST_JOIN_URL = "http://255.255.255.255:65535/?code=WWWW"  # the most a join URL ever holds
BORDER = 4  # the quiet zone a QR code needs, in modules, on every side


def test_a_join_code_is_four_characters_none_of_them_a_look_alike():
    codes = [lan.join_code() for _ in range(300)]
    for code in codes:
        assert len(code) == 4 and set(code) <= set(lan.CODE_ALPHABET)
    assert not set("0O1IL") & set(lan.CODE_ALPHABET)
    assert len(set(codes)) > 290  # 279,841 codes: drawn at random, 300 barely ever repeat
    assert set("".join(codes)) == set(lan.CODE_ALPHABET)  # every character is used


def test_a_teachers_token_is_long_url_safe_and_new_each_time():
    tokens = {lan.teacher_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)  # 24 bytes: fits a URL's fragment as is


def test_the_lan_address_is_an_ipv4_address_of_this_machine():
    address = lan.lan_address()
    assert ipaddress.ip_address(address).version == 4 and address != "0.0.0.0"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))  # only this machine's own addresses can be bound


def test_with_no_route_to_the_probe_the_address_falls_back_to_loopback():
    # The kernel refuses to connect a UDP socket to the broadcast address (no SO_BROADCAST):
    # the same OSError a laptop with no network gives.
    assert lan.lan_address(probe="255.255.255.255") == "127.0.0.1"


def modules_of(text):
    """The QR code's modules as a terminal shows `text` (segno's compact output): True where a
    module is dark, i.e. where the cell's half is not a block character."""
    top = {"█": (False, False), "▀": (False, True), "▄": (True, False), " ": (True, True)}
    rows = []
    for line in text.splitlines():
        pairs = [top[c] for c in line]
        rows += [[a for a, _ in pairs], [b for _, b in pairs]]
    return rows


def test_the_terminal_qr_code_is_the_join_urls_modules_two_rows_to_a_line():
    import segno

    text = lan.qr_terminal(LONGEST_JOIN_URL, colour=False)
    lines = text.splitlines()
    size = segno.make_qr(LONGEST_JOIN_URL).symbol_size(border=BORDER)[0]
    assert size <= 45  # version 3 at most: fits any terminal, 45 columns by 23 lines
    assert len(lines) == math.ceil(size / 2) and {len(line) for line in lines} == {size}
    assert set(text) <= set("█▀▄ \n")
    rows = modules_of(text)[:size]
    # A quiet zone of light modules all round, then the top-left finder pattern: a dark ring
    # of 7 × 7, a light ring, a dark 3 × 3 centre (how a camera finds the code: polarity too).
    assert not any(rows[BORDER - 1]) and not any(r[BORDER - 1] for r in rows)
    finder = [row[BORDER : BORDER + 7] for row in rows[BORDER : BORDER + 7]]
    ring = [(i, j) for i in range(7) for j in range(7) if i in (0, 6) or j in (0, 6)]
    assert all(finder[i][j] for i, j in ring)
    assert not any(finder[i][j] for i in (1, 5) for j in range(1, 6))
    assert all(finder[i][j] for i in range(2, 5) for j in range(2, 5))
    expected = [
        [bool(bit) for bit in row]
        for row in segno.make_qr(LONGEST_JOIN_URL).matrix_iter(border=BORDER)
    ]
    assert rows == expected  # every module of the code, not only its corners


def test_in_colour_the_terminal_qr_code_paints_white_on_black_for_light_and_dark_themes():
    plain = lan.qr_terminal(LONGEST_JOIN_URL, colour=False).splitlines()
    painted = lan.qr_terminal(LONGEST_JOIN_URL).splitlines()
    assert painted == [f"\033[97;40m{line}\033[0m" for line in plain]


def test_the_svg_qr_code_is_a_black_on_white_svg_document_of_its_modules():
    import segno

    svg = lan.qr_svg(LONGEST_JOIN_URL, scale=5)
    root = ET.fromstring(svg)
    size = segno.make_qr(LONGEST_JOIN_URL).symbol_size(border=BORDER)[0]
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == (str(size * 5), str(size * 5))
    paths = root.iter("{http://www.w3.org/2000/svg}path")
    assert {(p.get("fill"), p.get("stroke")) for p in paths} == {("#fff", None), (None, "#000")}
