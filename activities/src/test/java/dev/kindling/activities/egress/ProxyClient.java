package dev.kindling.activities.egress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A guest's side of a proxy connection, speaking raw bytes. */
final class ProxyClient implements AutoCloseable {
  /** Generous: a slow machine must never make a read give up first. */
  private static final int READ_TIMEOUT_MILLIS = 15_000;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  ProxyClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static ProxyClient connect(int port) throws IOException {
    return new ProxyClient(new Socket(InetAddress.getLoopbackAddress(), port));
  }

  /** A status line, its headers (names in lower case) and a body of its Content-Length. */
  record Response(String statusLine, Map<String, String> headers, String body) {
    int status() {
      return Integer.parseInt(statusLine.split(" ")[1]);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  ProxyClient send(String text) throws IOException {
    return send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  ProxyClient send(byte[] bytes) throws IOException {
    out.write(bytes);
    return this;
  }

  /** Reads a response head and, when it gives a Content-Length, its body. */
  Response response() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("the proxy closed the connection without answering");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line; (line = line()) != null && !line.isEmpty(); ) {
      int colon = line.indexOf(':');
      headers.put(
          line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
    }
    String length = headers.get("content-length");
    String body =
        length == null
            ? ""
            : new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
    return new Response(statusLine, headers, body);
  }

  String readExactly(int count) throws IOException {
    byte[] bytes = in.readNBytes(count);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  String readToEnd() throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** Whether the proxy ended the connection: the next read finds its end or a reset. */
  boolean endedByProxy() throws IOException {
    try {
      while (true) {
        int b = in.read();
        if (b < 0) {
          return true;
        }
      }
    } catch (SocketException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        return line.toString(StandardCharsets.ISO_8859_1).replaceFirst("\r$", "");
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}
