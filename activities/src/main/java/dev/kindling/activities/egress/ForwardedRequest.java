package dev.kindling.activities.egress;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The head a plain HTTP request is forwarded with: origin-form, HTTP/1.1, the client's end-to-end
 * headers, Host from the URL, and {@code Connection: close} so that the upstream ends the
 * connection after its response. Only this request and its body go upstream ({@link #bodyLength});
 * the guest's next request, perhaps for another host, must come on a new connection, which is
 * checked again.
 */
final class ForwardedRequest {
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "proxy-connection",
          "proxy-authorization",
          "proxy-authenticate",
          "keep-alive",
          "te",
          "trailer",
          "upgrade",
          "host");

  /** The body's framing: never dropped, whatever {@code Connection} names. */
  private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding");

  private ForwardedRequest() {}

  /**
   * How many bytes of body follow the head: exactly one request is forwarded per connection, so
   * nothing after its body reaches the upstream. A chunked body is refused rather than parsed.
   *
   * @throws Refused 400 for a body whose length is not one plain Content-Length
   */
  static long bodyLength(RequestHead request) throws Refused {
    String length = null;
    for (RequestHead.Header header : request.headers()) {
      if (header.named("Transfer-Encoding")) {
        throw Refused.malformed(
            400, "request bodies without a Content-Length are not forwarded over http://");
      }
      if (header.named("Content-Length")) {
        String value = header.value().strip();
        if (!value.matches("[0-9]{1,15}") || (length != null && !length.equals(value))) {
          throw Refused.malformed(400, "the request's Content-Length is not one number");
        }
        length = value;
      }
    }
    return length == null ? 0 : Long.parseLong(length);
  }

  static byte[] head(RequestHead request, Destination destination) {
    Set<String> dropped = new HashSet<>(HOP_BY_HOP);
    for (RequestHead.Header header : request.headers()) {
      if (header.named("Connection")) {
        for (String option : header.value().split(",")) {
          dropped.add(option.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    dropped.removeAll(FRAMING);
    StringBuilder head = new StringBuilder(256);
    head.append(request.method()).append(' ').append(destination.path()).append(" HTTP/1.1\r\n");
    for (RequestHead.Header header : request.headers()) {
      if (!dropped.contains(header.name().toLowerCase(Locale.ROOT))) {
        head.append(header.name()).append(": ").append(header.value()).append("\r\n");
      }
    }
    head.append("Host: ").append(destination.authority()).append("\r\n");
    head.append("Connection: close\r\n\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
