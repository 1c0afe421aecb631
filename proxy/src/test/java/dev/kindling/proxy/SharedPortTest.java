package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Several proxies on one port (SO_REUSEPORT), as several `kindling proxy` processes would run. */
class SharedPortTest {
  private static final int CONNECTIONS = 24;

  @Test
  void twoProxiesOnOnePortBothTakeConnectionsAndRelayThem() throws Exception {
    try (ProxyFixture fixture =
            ProxyFixture.start(
                b -> b.reusePort(true).metricsPort(0).sessionConnectionLimit(CONNECTIONS));
        ProxyServer second =
            ProxyServer.start(
                fixture.proxy.config().toBuilder().port(fixture.proxy.port()).build(),
                fixture.routes,
                vmId -> Optional.of(ProxyFixture.PASSWORD),
                SessionActivity.NONE)) {
      assertEquals(fixture.proxy.port(), second.port());

      List<TestClient.Connection> connections = new ArrayList<>();
      for (int i = 0; i < CONNECTIONS; i++) {
        TestClient.Connection connection =
            fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
        // A framebuffer request (as RFB, which the proxy follows), echoed by the stand-in VM.
        byte[] request = {3, 0, 0, (byte) i, 0, 0, 0, 10, 0, 10};
        connection.sendBinary(request);
        assertArrayEquals(request, (byte[]) connection.next());
        connections.add(connection);
      }

      // The kernel hashes each connection to one listener: all 24 on one of two has odds of 2^-23.
      int first = fixture.proxy.connections();
      int other = second.connections();
      assertEquals(CONNECTIONS, first + other, "connections held: " + first + " + " + other);
      assertTrue(
          first > 0 && other > 0, "both proxies take connections: " + first + " and " + other);

      // Each process's own metrics port describes that process, and serves nothing else.
      for (ProxyServer proxy : List.of(fixture.proxy, second)) {
        HttpResponse<String> metrics = get(proxy.metricsPort().orElseThrow(), "/metrics");
        assertEquals(200, metrics.statusCode());
        assertEquals(
            proxy.connections(),
            ScrapedMetrics.parse(metrics.body()).value("kindling_proxy_open_sessions"));
        assertEquals(200, get(proxy.metricsPort().orElseThrow(), "/healthz").statusCode());
        assertEquals(
            404,
            get(
                    proxy.metricsPort().orElseThrow(),
                    fixture.proxy.config().pagePath(ProxyFixture.SESSION))
                .statusCode());
      }
      assertTrue(fixture.proxy.metricsPort().orElseThrow() != second.metricsPort().orElseThrow());
    }
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void withoutReusePortASecondProxyCannotBindThePort() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.reusePort(true))) {
      ProxyConfig sameAddress =
          fixture.proxy.config().toBuilder().port(fixture.proxy.port()).reusePort(false).build();
      Exception e =
          assertThrows(
              Exception.class,
              () ->
                  ProxyServer.start(
                          sameAddress,
                          fixture.routes,
                          vmId -> Optional.empty(),
                          SessionActivity.NONE)
                      .close());
      assertTrue(String.valueOf(e.getMessage()).contains("Failed to bind"), e.toString());
    }
  }
}
