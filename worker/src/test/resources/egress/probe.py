# Runs inside a guest (as the terminal template's app) and reports to the test's server, through
# the egress proxy, what the guest could and could not reach. argv: HTTP port, echo port.
import json
import os
import socket
import sys
import time
import urllib.request as request

HTTP_PORT, ECHO_PORT = int(sys.argv[1]), int(sys.argv[2])
ALLOWED = "allowed.kindling.test"
PROXY = ("169.254.77.1", 3128)


def get(url):
    try:
        with request.urlopen(url, timeout=30) as response:
            return [response.status, response.read(400).decode()]
    except request.HTTPError as e:
        return [e.code, e.read(400).decode()]
    except Exception as e:
        return [0, repr(e)]


def direct(host, port):
    try:
        socket.create_connection((host, port), 5).close()
        return "connected"
    except Exception as e:
        return repr(e)


def tunnel():
    try:
        s = socket.create_connection(PROXY, 10)
        target = "%s:%d" % (ALLOWED, ECHO_PORT)
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(1024)
            if not chunk:
                break
            head += chunk
        s.sendall(b"ping")
        echoed = b""
        while len(echoed) < 4:
            chunk = s.recv(4)
            if not chunk:
                break
            echoed += chunk
        s.close()
        return [head.split(b" ")[1].decode(), echoed.decode()]
    except Exception as e:
        return ["0", repr(e)]


report = {
    "proxy": os.environ.get("https_proxy"),
    "allowed": get("http://%s:%d/hello" % (ALLOWED, HTTP_PORT)),
    "denied": get("http://denied.kindling.test:%d/hello" % HTTP_PORT),
    "private": get("http://private.kindling.test:%d/hello" % HTTP_PORT),
    "tunnel": tunnel(),
    "direct": [direct(PROXY[0], HTTP_PORT), direct(PROXY[0], ECHO_PORT)],
}
print(json.dumps(report, indent=1), flush=True)
request.urlopen(
    request.Request(
        "http://%s:%d/report" % (ALLOWED, HTTP_PORT),
        json.dumps(report).encode(),
        {"Content-Type": "application/json"},
    ),
    timeout=30,
).close()
time.sleep(86400)
