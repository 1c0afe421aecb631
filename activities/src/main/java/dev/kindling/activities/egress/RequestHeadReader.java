package dev.kindling.activities.egress;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one request head from a client under a byte limit and a deadline for the whole head (a
 * client that trickles bytes runs out of time as surely as a silent one). Lines end in CRLF or a
 * bare LF. The request line is checked as it arrives, so a client that speaks anything but HTTP
 * (TLS, for one) is refused at its first bytes rather than at the deadline.
 */
final class RequestHeadReader {
  private static final int MAX_METHOD = 32;
  private static final Pattern REQUEST_LINE =
      Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\\x21-\\x7E]+) (HTTP/[0-9]\\.[0-9])");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private final Socket socket;
  private final byte[] buffer;
  private int filled;
  private int scanned;
  private boolean inMethod = true;
  private boolean requestLineSeen;

  RequestHeadReader(Socket socket, int maxBytes) {
    this.socket = socket;
    this.buffer = new byte[maxBytes];
  }

  /**
   * The head, or null when the client closed without sending a byte.
   *
   * @throws Refused 400 for anything but an HTTP/1.x request head, 408 when it is not all there
   *     within {@code timeout}, 431 when it is longer than the buffer
   */
  RequestHead read(Duration timeout) throws Refused, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    InputStream in = socket.getInputStream();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw timedOut(timeout);
      }
      socket.setSoTimeout(millis(left));
      int n;
      try {
        n = in.read(buffer, filled, buffer.length - filled);
      } catch (SocketTimeoutException e) {
        throw timedOut(timeout);
      }
      if (n < 0) {
        if (filled == 0) {
          return null;
        }
        throw Refused.malformed(400, "the connection ended before the request head was complete");
      }
      int scanFrom = Math.max(0, filled - 2);
      filled += n;
      checkRequestLineSoFar();
      int end = headEnd(scanFrom);
      if (end >= 0) {
        return parse(end);
      }
      if (filled == buffer.length) {
        throw Refused.malformed(431, "the request head is longer than " + buffer.length + " bytes");
      }
    }
  }

  /** A rounded-up SO_TIMEOUT in milliseconds; 0 would mean "forever". */
  static int millis(long nanos) {
    return Math.clamp((nanos + 999_999) / 1_000_000, 1, Integer.MAX_VALUE);
  }

  private static Refused timedOut(Duration timeout) {
    return Refused.malformed(
        408, "the request head did not arrive within " + timeout.toMillis() + " ms");
  }

  /** Where the head ends (after its empty line), or -1 while it has not ended. */
  private int headEnd(int from) {
    for (int i = from; i < filled; i++) {
      if (buffer[i] != '\n') {
        continue;
      }
      if (i + 1 < filled && buffer[i + 1] == '\n') {
        return i + 2;
      }
      if (i + 2 < filled && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') {
        return i + 3;
      }
    }
    return -1;
  }

  private void checkRequestLineSoFar() throws Refused {
    while (!requestLineSeen && scanned < filled) {
      int b = buffer[scanned] & 0xFF;
      if (b == '\n') {
        requestLineSeen = true;
        return;
      }
      if (b == '\r') {
        if (scanned + 1 == filled) {
          return; // Its LF may be in the next read.
        }
        if (buffer[scanned + 1] != '\n') {
          throw notHttp();
        }
      } else if (inMethod) {
        if (b == ' ' && scanned > 0) {
          inMethod = false;
        } else if (scanned >= MAX_METHOD || !isTokenChar(b)) {
          throw notHttp();
        }
      } else if (b < 0x20 || b >= 0x7F) {
        throw notHttp();
      }
      scanned++;
    }
  }

  private static boolean isTokenChar(int b) {
    return (b >= '0' && b <= '9')
        || (b >= 'a' && b <= 'z')
        || (b >= 'A' && b <= 'Z')
        || "!#$%&'*+.^_`|~-".indexOf(b) >= 0;
  }

  private static Refused notHttp() {
    return Refused.malformed(400, "this is not an HTTP request");
  }

  private RequestHead parse(int end) throws Refused {
    String text = new String(buffer, 0, end, StandardCharsets.ISO_8859_1);
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    // The head ends with an empty line and then the split's empty tail.
    List<String> fields = lines.subList(1, lines.size() - 2);
    Matcher requestLine = REQUEST_LINE.matcher(lines.getFirst());
    if (!requestLine.matches()) {
      throw Refused.malformed(400, "the request line is not METHOD TARGET HTTP/1.x");
    }
    String version = requestLine.group(3);
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw Refused.malformed(400, "only HTTP/1.0 and HTTP/1.1 requests are proxied");
    }
    List<RequestHead.Header> headers = new ArrayList<>(fields.size());
    for (String field : fields) {
      headers.add(header(field));
    }
    return new RequestHead(
        requestLine.group(1),
        requestLine.group(2),
        version,
        headers,
        Arrays.copyOfRange(buffer, end, filled));
  }

  private static RequestHead.Header header(String field) throws Refused {
    if (field.startsWith(" ") || field.startsWith("\t")) {
      throw Refused.malformed(400, "folded header lines are not accepted");
    }
    int colon = field.indexOf(':');
    if (colon <= 0 || !TOKEN.matcher(field.substring(0, colon)).matches()) {
      throw Refused.malformed(400, "a header line is not NAME: VALUE");
    }
    String value = withoutSpaceAround(field.substring(colon + 1));
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        throw Refused.malformed(400, "a header value holds a control character");
      }
    }
    return new RequestHead.Header(field.substring(0, colon), value);
  }

  private static String withoutSpaceAround(String value) {
    int from = 0;
    int to = value.length();
    while (from < to && (value.charAt(from) == ' ' || value.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (value.charAt(to - 1) == ' ' || value.charAt(to - 1) == '\t')) {
      to--;
    }
    return value.substring(from, to);
  }
}
