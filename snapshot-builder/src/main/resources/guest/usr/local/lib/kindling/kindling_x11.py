"""A small raw X11 client (python3 standard library only), shared by kindling-agent and
kindling-app: a few requests over the X server's Unix socket instead of a process per question
(each costs ~100 ms under emulation). Little-endian, protocol 11.0, no authorization (Xvfb runs
without -auth). Errors from the X server raise XError; a broken connection raises OSError.

Connection(path, timeout) -> .root, .atoms(names), .property(window, atom), .root_property(atom)
window_properties(x, window) -> (WM_CLASS class, title)
wm_running(x)                -> a window manager runs (EWMH _NET_SUPPORTING_WM_CHECK)
managed(x, window)           -> the window manager manages that client window (ICCCM WM_STATE)
"""
import re
import socket
import struct

X11_SOCKET = "/tmp/.X11-unix/X1"
TIMEOUT = 3.0

# Predefined atoms.
XA_WINDOW = 33
XA_WM_NAME = 39
XA_WM_CLASS = 67

BAD_WINDOW = 3


class XError(OSError):
    """An error the X server sent for a request (code: BadWindow is 3)."""

    def __init__(self, code):
        super().__init__("X error %d" % code)
        self.code = code


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("X server closed the connection")
        data += chunk
    return data


def request(opcode, data, body):
    return struct.pack("<BBH", opcode, data, 1 + len(body) // 4) + body


def reply(sock):
    head = recv_exactly(sock, 32)
    if head[0] != 1:
        raise XError(head[1])
    return head, recv_exactly(sock, 4 * struct.unpack_from("<I", head, 4)[0])


class Connection:
    """One connection to the X server; .root is the first screen's root window. No events are
    selected, so every packet read is the reply or the error of the oldest unanswered request."""

    def __init__(self, path=X11_SOCKET, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
            self.sock.sendall(struct.pack("<BxHHHHxx", ord("l"), 11, 0, 0, 0))
            setup = recv_exactly(self.sock, 8)
            info = recv_exactly(self.sock, 4 * struct.unpack_from("<H", setup, 6)[0])
            if setup[0] != 1:
                raise OSError("X connection refused")
            # The vendor string and the pixmap formats (8 bytes each) precede the first screen,
            # whose first field is its root window.
            vendor_length, formats = struct.unpack_from("<H", info, 16)[0], info[21]
            self.root = struct.unpack_from("<I", info, 32 + vendor_length + (-vendor_length % 4) + 8 * formats)[0]
        except BaseException:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def atoms(self, names):
        """The atoms of names (bytes), 0 for a name no client ever interned (InternAtom
        only-if-exists: asking creates nothing). One round trip for all of them."""
        self.sock.sendall(b"".join(request(16, 1, struct.pack("<Hxx", len(n)) + n + b"\0" * (-len(n) % 4))
                                   for n in names))
        return [struct.unpack_from("<I", reply(self.sock)[0], 8)[0] for _ in names]

    def property(self, window, atom):
        """(type atom, bytes) of one window property (GetProperty, any type, up to 4 KiB);
        (0, b"") when the window does not have it."""
        self.sock.sendall(request(20, 0, struct.pack("<IIIII", window, atom, 0, 0, 1024)))
        head, data = reply(self.sock)
        value_format, value_type, _, length = head[1], *struct.unpack_from("<III", head, 8)
        return value_type, data[:length * value_format // 8]

    def root_property(self, atom):
        return self.property(self.root, atom)


def window_properties(x, window):
    """(WM_CLASS class, title) of a window, read over the X protocol: bookworm's xdotool
    (3.20160805) has no getwindowclassname. The title is _NET_WM_NAME (UTF-8), else WM_NAME,
    as xdotool matches it."""
    net_wm_name, utf8_string = x.atoms((b"_NET_WM_NAME", b"UTF8_STRING"))
    instance_class = x.property(window, XA_WM_CLASS)[1].split(b"\0")
    title = x.property(window, net_wm_name)[1].decode("utf-8", "replace") if net_wm_name else ""
    if not title:
        value_type, value = x.property(window, XA_WM_NAME)
        title = value.decode("utf-8", "replace") if value_type == utf8_string else compound_text(value)
    return (instance_class[1] if len(instance_class) > 1 else b"").decode("latin-1"), title


def compound_text(value):
    """STRING or COMPOUND_TEXT (xterm's WM_NAME) as text: Latin-1, with UTF-8 between ESC % G and
    ESC % @; other ISO 2022 escape sequences are dropped."""
    text = ""
    for i, chunk in enumerate(value.split(b"\x1b%G")):
        utf8, _, rest = chunk.partition(b"\x1b%@") if i else (b"", b"", chunk)
        text += utf8.decode("utf-8", "replace") + rest.decode("latin-1")
    return re.sub("\x1b[\x20-\x2f]*[\x30-\x7e]", "", text)


def wm_running(x):
    """True when an EWMH window manager runs: the root window's _NET_SUPPORTING_WM_CHECK names
    a window that exists and names itself the same way (so a stale id, reused by some other
    client's window, does not count). openbox sets it after it took over the root window's
    substructure redirection, so from then on every new top-level window is mapped by it."""
    check = x.atoms((b"_NET_SUPPORTING_WM_CHECK",))[0]
    if not check:
        return False
    value_type, value = x.root_property(check)
    if value_type != XA_WINDOW or len(value) < 4:
        return False
    target = struct.unpack_from("<I", value)[0]
    try:
        value_type, value = x.property(target, check)
    except XError as e:
        if e.code == BAD_WINDOW:
            return False
        raise
    return value_type == XA_WINDOW and len(value) >= 4 and struct.unpack_from("<I", value)[0] == target


def managed(x, window):
    """True when a window manager manages the client window: ICCCM window managers set WM_STATE
    on the client windows they manage (on the client itself, not on the frame they reparent it
    into; xdotool search returns client windows). False for a window that no longer exists, and
    for one whose WM_STATE says WithdrawnState."""
    wm_state = x.atoms((b"WM_STATE",))[0]
    if not wm_state:
        return False
    try:
        value_type, value = x.property(window, wm_state)
    except XError as e:
        if e.code == BAD_WINDOW:
            return False
        raise
    # The first field is the state; 0 (WithdrawnState) is what a window manager may leave behind
    # when the client withdraws the window.
    return value_type == wm_state and len(value) >= 4 and struct.unpack_from("<I", value)[0] != 0
