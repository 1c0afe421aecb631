package dev.kindling.activities.egress;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The head a plain HTTP request is forwarded with: origin-form, HTTP/1.1, the client's end-to-end
 * headers, Host from the URL, and {@code Connection: close} so that the upstream ends the
 * connection after its response and the guest's next request, perhaps for another host, comes on a
 * new connection that is checked again.
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

  private ForwardedRequest() {}

  static byte[] head(RequestHead request, Destination destination) {
    Set<String> dropped = new HashSet<>(HOP_BY_HOP);
    for (RequestHead.Header header : request.headers()) {
      if (header.named("Connection")) {
        for (String option : header.value().split(",")) {
          dropped.add(option.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
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
