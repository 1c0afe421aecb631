package dev.kindling.activities.egress;

import java.util.List;
import java.util.Locale;

/**
 * A request line and its headers, as read by {@link RequestHeadReader}.
 *
 * @param target the request target exactly as written (printable ASCII)
 * @param version {@code HTTP/1.0} or {@code HTTP/1.1}
 * @param headers in the order received, names as written
 * @param rest bytes the client sent after the head (a body, or a tunnel's first bytes)
 */
record RequestHead(
    String method, String target, String version, List<Header> headers, byte[] rest) {

  /** One header field; the value without surrounding whitespace. */
  record Header(String name, String value) {
    boolean named(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  RequestHead {
    headers = List.copyOf(headers);
    rest = rest.clone();
  }

  boolean isConnect() {
    return method.equals("CONNECT");
  }

  /** Whether any Accept header lists {@code mediaType}, as a browser navigating does. */
  boolean accepts(String mediaType) {
    return headers.stream()
        .anyMatch(
            h ->
                h.named("Accept")
                    && h.value()
                        .toLowerCase(Locale.ROOT)
                        .contains(mediaType.toLowerCase(Locale.ROOT)));
  }

  @Override
  public byte[] rest() {
    return rest.clone();
  }
}
