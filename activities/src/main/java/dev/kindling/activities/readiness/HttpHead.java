package dev.kindling.activities.readiness;

import dev.kindling.host.Printable;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The status line and headers of an HTTP/1.1 response, read byte by byte so that nothing after the
 * blank line (a body, or WebSocket frames) is consumed.
 *
 * @param headers lower-cased names; repeated headers joined with ", "
 */
record HttpHead(String statusLine, int status, Map<String, String> headers) {
  private static final int MAX_HEAD_BYTES = 16 * 1024;

  String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  static HttpHead read(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream(512);
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException(
            raw.size() == 0
                ? "connection closed before any response"
                : "connection closed inside the response headers");
      }
      raw.write(b);
      if (raw.size() > MAX_HEAD_BYTES) {
        throw new ProtocolException("response headers longer than " + MAX_HEAD_BYTES + " bytes");
      }
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = raw.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String statusLine = lines[0];
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new ProtocolException("not an HTTP response: '" + Printable.of(statusLine) + "'");
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new ProtocolException("not an HTTP status: '" + Printable.of(statusLine) + "'");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim();
        headers.merge(name, value, (a, b) -> a + ", " + b);
      }
    }
    return new HttpHead(statusLine, status, headers);
  }
}
