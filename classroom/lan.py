"""How students reach the teacher's laptop: the join code they type, the teacher's secret token,
the laptop's address on the local network, and the join URL as a QR code (page and terminal).

Nothing here sends a packet: the address comes from asking the kernel which of this machine's
addresses it would use to reach a private address (a UDP socket's connect only picks a route).
segno draws the QR codes (pure Python; the `serve` extra).
"""

import io
import secrets
import socket

# The join code's letters and digits: none a student can mistake for another when the teacher
# reads it out or a projector blurs it (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 4  # 23**4 = 279,841 codes, short enough to read out and type on a phone
# Where the route is looked up to: a private address (RFC 1918) no one is expected to own, so
# the kernel picks the interface of the local network; the connect sends nothing to it.
PROBE = "10.254.254.254"
LOOPBACK = "127.0.0.1"


def join_code():
    """A fresh join code, like "K7QM": CODE_LENGTH characters of CODE_ALPHABET, from `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def teacher_token():
    """A fresh teacher's token: 24 random bytes as URL-safe text (32 characters)."""
    return secrets.token_urlsafe(24)


def lan_address(probe=PROBE):
    """This machine's IPv4 address on the local network, or "127.0.0.1" where it has none
    (no network, or no route to `probe`): the caller says then that only this machine can
    join. Sends nothing: a UDP socket's connect only chooses the route and the address."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probing:
        try:
            probing.connect((probe, 9))  # the discard port; no datagram is sent
            address = probing.getsockname()[0]
        except OSError:  # no route (the network is down), or a probe the kernel refuses
            return LOOPBACK
    return LOOPBACK if address in ("0.0.0.0", "") else address


def _qr(url):
    """The QR code of `url`: a full-size QR code (phone cameras read no Micro QR), with the
    strongest error correction that fits the same size (segno's boost_error)."""
    import segno

    return segno.make_qr(url)


def qr_svg(url, scale=8):
    """The QR code of `url` as an SVG document: black modules on white, with the standard
    quiet zone of 4 modules, `scale` pixels a module."""
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", xmldecl=False, scale=scale, dark="#000", light="#fff")
    return out.getvalue().decode("ascii")


def qr_terminal(url, colour=True):
    """The QR code of `url` for a terminal: two modules per character cell, one above the
    other (segno's compact output: █ ▀ ▄ and space), its quiet zone included.

    The block characters are the light modules. colour=True paints them bright white on
    black (ANSI codes), so the code scans on a dark terminal and on a light one alike; without
    colour (a file, a pipe) it is right on a dark terminal and inverted on a light one, which
    most phone cameras still read."""
    out = io.StringIO()
    _qr(url).terminal(out=out, compact=True)
    lines = out.getvalue().splitlines()
    if colour:
        lines = [f"\033[97;40m{line}\033[0m" for line in lines]
    return "\n".join(lines) + "\n"
