package dev.kindling.activities.egress;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The response a refused request gets: its status, a body with the reason (a small page for a
 * browser that asked for HTML, one line of text otherwise) and headers that close the connection
 * and keep the answer out of every cache.
 */
final class RefusalResponse {
  static final String MARKER = "X-Kindling-Egress";

  /** The colour of the refusal page's heading band, which tells a user (and a test) what it is. */
  static final String BAND = "922b21";

  private static final Map<Integer, String> PHRASES =
      Map.of(
          400, "Bad Request",
          403, "Forbidden",
          408, "Request Timeout",
          429, "Too Many Requests",
          431, "Request Header Fields Too Large",
          502, "Bad Gateway");

  private RefusalResponse() {}

  static byte[] bytes(int status, String reason, boolean html) {
    String phrase = PHRASES.getOrDefault(status, "Error");
    String body = html ? page(status, phrase, reason) : reason + "\n";
    byte[] content = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + phrase
            + "\r\nContent-Type: "
            + (html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8")
            + "\r\nContent-Length: "
            + content.length
            + "\r\nConnection: close\r\nCache-Control: no-store\r\n"
            + MARKER
            + ": refused\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] response = new byte[headBytes.length + content.length];
    System.arraycopy(headBytes, 0, response, 0, headBytes.length);
    System.arraycopy(content, 0, response, headBytes.length, content.length);
    return response;
  }

  private static String page(int status, String phrase, String reason) {
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
        + status
        + " "
        + phrase
        + "</title></head>\n<body style=\"margin:0;font:16px sans-serif;background:#fff\">"
        + "<h1 style=\"margin:0;padding:12px 16px;font-size:20px;color:#fff;background:#"
        + BAND
        + "\">Refused by this session's egress proxy</h1>\n<p style=\"margin:16px\">"
        + escaped(reason)
        + "</p></body></html>\n";
  }

  static String escaped(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
