package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RefusalResponseTest {

  @Test
  void aLineOfTextForTools() {
    String response = text(RefusalResponse.bytes(502, "a.test does not resolve", false));
    assertEquals(
        "HTTP/1.1 502 Bad Gateway\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: 24\r\n"
            + "Connection: close\r\n"
            + "Cache-Control: no-store\r\n"
            + "X-Kindling-Egress: refused\r\n\r\n"
            + "a.test does not resolve\n",
        response);
  }

  @Test
  void aPageWithTheReasonEscapedForBrowsers() {
    byte[] bytes = RefusalResponse.bytes(403, "<script>alert('x')</script> & more", true);
    String response = text(bytes);
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertTrue(response.startsWith("HTTP/1.1 403 Forbidden\r\n"));
    assertTrue(response.contains("Content-Type: text/html; charset=utf-8\r\n"));
    assertTrue(
        response.contains(
            "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"));
    assertTrue(body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"), body);
    assertTrue(!body.contains("<script>"), body);
  }

  @Test
  void everyStatusTheProxyUsesHasItsPhrase() {
    for (int status : new int[] {400, 403, 408, 429, 431, 502}) {
      String statusLine = text(RefusalResponse.bytes(status, "x", false)).lines().findFirst().get();
      assertTrue(statusLine.matches("HTTP/1\\.1 " + status + " [A-Z][A-Za-z ]+"), statusLine);
      assertTrue(!statusLine.endsWith("Error"), statusLine);
    }
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
