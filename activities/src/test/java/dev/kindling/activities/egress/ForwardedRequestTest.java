package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardedRequestTest {

  @Test
  void sendsOriginFormWithEndToEndHeadersTheUrlsHostAndConnectionClose() throws Exception {
    RequestHead request =
        new RequestHead(
            "GET",
            "http://a.test:8080/p?q",
            "HTTP/1.0",
            List.of(
                new RequestHead.Header("host", "other.test"),
                new RequestHead.Header("connection", "Keep-Alive, x-private"),
                new RequestHead.Header("X-Private", "1"),
                new RequestHead.Header("Proxy-Authorization", "Basic eA=="),
                new RequestHead.Header("proxy-authenticate", "x"),
                new RequestHead.Header("Proxy-Connection", "keep-alive"),
                new RequestHead.Header("Keep-Alive", "300"),
                new RequestHead.Header("TE", "trailers"),
                new RequestHead.Header("Trailer", "X-Sum"),
                new RequestHead.Header("Upgrade", "h2c"),
                new RequestHead.Header("Transfer-Encoding", "chunked"),
                new RequestHead.Header("Cookie", "a=b")),
            new byte[0]);
    String head =
        new String(
            ForwardedRequest.head(request, Destination.of(request)), StandardCharsets.ISO_8859_1);
    assertEquals(
        "GET /p?q HTTP/1.1\r\n"
            + "Transfer-Encoding: chunked\r\n"
            + "Cookie: a=b\r\n"
            + "Host: a.test:8080\r\n"
            + "Connection: close\r\n\r\n",
        head);
  }
}
