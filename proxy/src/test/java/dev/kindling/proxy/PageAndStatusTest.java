package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The noVNC page, its password endpoint, /healthz and /metrics. */
class PageAndStatusTest {
  private final HttpClient http =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private ProxyFixture fixture;

  @BeforeEach
  void start() throws Exception {
    fixture = ProxyFixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return get(fixture.http(pathAndQuery));
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theSessionPageLoadsNoVncAndConnectsToTheSessionsWebSocket() throws Exception {
    HttpResponse<String> page = get("/sessions/s-1/?token=abc");

    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("content-type").orElseThrow().startsWith("text/html"));
    assertTrue(page.body().contains("const SESSION = \"s-1\";"), page.body());
    assertTrue(page.body().contains("/novnc/core/rfb.js"));
    assertTrue(page.body().contains("'/websockify?token='"));
    assertTrue(
        page.body().contains("const NOT_READY = 4503;"), "retries after VM_NOT_READY's code");
    assertTrue(page.body().contains("const PROXY_FULL = 4513;"), "retries after PROXY_FULL's code");
  }

  @Test
  void theSessionPathWithoutASlashRedirectsKeepingTheToken() throws Exception {
    HttpResponse<String> reply = get("/sessions/s-1?token=abc");

    assertEquals(302, reply.statusCode());
    assertEquals("/sessions/s-1/?token=abc", reply.headers().firstValue("location").orElseThrow());
  }

  @Test
  void noVncFilesAreServedFromTheDebianPackage() throws Exception {
    Assumptions.assumeTrue(
        Files.isRegularFile(Path.of("/usr/share/novnc/core/rfb.js")),
        "Debian's novnc package is not installed");

    HttpResponse<String> script = get("/novnc/core/rfb.js");

    assertEquals(200, script.statusCode());
    assertTrue(script.body().contains("export default class RFB"));
  }

  @Test
  void theVncPasswordIsInNoPageAndNoEndpointHandsItOut() throws Exception {
    String token = fixture.tokens.mint("s-1");
    HttpResponse<String> page = get("/sessions/s-1/?token=" + token);
    HttpResponse<String> endpoint = get("/sessions/s-1/vnc-password?token=" + token);

    assertEquals(200, page.statusCode());
    assertFalse(page.body().contains(ProxyFixture.PASSWORD), "the page holds the password");
    assertFalse(page.body().contains("vnc-password"), "the page asks for a password");
    assertEquals(404, endpoint.statusCode());
    assertFalse(endpoint.body().contains(ProxyFixture.PASSWORD));
  }

  @Test
  void healthAndMetricsAnswer() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
    connection.sendText("count me");
    connection.next();

    HttpResponse<String> health = get("/healthz");
    HttpResponse<String> metrics = get("/metrics");

    assertEquals(200, health.statusCode());
    assertEquals("ok\n", health.body());
    assertEquals(200, metrics.statusCode());
    assertTrue(
        metrics
            .headers()
            .firstValue("content-type")
            .orElseThrow()
            .startsWith("text/plain; version=0.0.4"));
    ScrapedMetrics scraped = ScrapedMetrics.parse(metrics.body());
    assertEquals(1, scraped.value("kindling_proxy_open_sessions"));
    assertEquals(fixture.proxy.maxConnections(), scraped.value("kindling_proxy_max_connections"));
    assertEquals(8, scraped.value("kindling_proxy_bytes_total", "direction", "to_upstream"));
    assertEquals(1, scraped.value("kindling_proxy_upstream_connect_seconds_count"));
    assertEquals(1, scraped.value("kindling_proxy_upstream_connect_seconds_bucket", "le", "+Inf"));
    assertTrue(scraped.value("kindling_proxy_upstream_connect_seconds_sum") > 0, scraped::toString);
    assertFalse(scraped.has("kindling_proxy_closes_total"), "nothing has closed yet");
  }
}
