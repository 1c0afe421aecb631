package dev.kindling.proxy;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Small plain HTTP replies. */
final class HttpReplies {
  static final String OUTCOME_HEADER = "X-Kindling-Outcome";
  private static final Logger log = LoggerFactory.getLogger(HttpReplies.class);

  private HttpReplies() {}

  static void text(
      Response response, Callback callback, int status, String contentType, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    Content.Sink.write(response, true, body, callback);
  }

  static void outcome(Response response, Callback callback, CloseOutcome outcome, String reason) {
    response.getHeaders().put(OUTCOME_HEADER, outcome.name());
    text(response, callback, outcome.httpStatus(), "text/plain; charset=utf-8", reason + "\n");
  }

  /**
   * A temporary redirect (307, which keeps the method) to {@code location}, naming {@code outcome}
   * like {@link #outcome} does and with {@code reason} as its body.
   */
  static void redirect(
      Response response, Callback callback, String location, CloseOutcome outcome, String reason) {
    response.getHeaders().put(HttpHeader.LOCATION, location);
    response.getHeaders().put(OUTCOME_HEADER, outcome.name());
    text(response, callback, 307, "text/plain; charset=utf-8", reason + "\n");
  }

  /** {@code pageUrl} when it is an absolute http(s) URL a browser may be sent to, else null. */
  static String redirectable(String pageUrl) {
    if (pageUrl == null) {
      return null;
    }
    try {
      URI uri = new URI(pageUrl);
      boolean web =
          "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
      if (web && uri.getHost() != null && uri.getRawFragment() == null) {
        return pageUrl;
      }
    } catch (URISyntaxException e) {
      // Falls through: not a URL.
    }
    log.warn("a session's published page URL is not an absolute http(s) URL: {}", pageUrl);
    return null;
  }

  static String json(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '<' -> out.append("\\u003c");
        case '>' -> out.append("\\u003e");
        case '&' -> out.append("\\u0026");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
