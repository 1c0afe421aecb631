package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.testing.Await;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.eclipse.jetty.websocket.api.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Walks the close-outcome table: every row is well formed, and every row is produced by a real
 * scenario against a real proxy. The switch below has no default, so a new outcome does not compile
 * until it has a scenario.
 */
class CloseOutcomeTest {
  /** A data opcode RFC 6455 reserves for later use. */
  private static final int RESERVED_OPCODE = 0x3;

  @Test
  void everyRowIsWellFormedAndCodesAreDistinct() {
    for (CloseOutcome outcome : CloseOutcome.values()) {
      assertTrue(
          outcome.httpStatus() >= 400 && outcome.httpStatus() <= 599, outcome + " HTTP status");
      assertTrue(
          CloseOutcome.transmittable(outcome.closeCode()), outcome + " close code may not be sent");
      assertFalse(outcome.reason().isBlank(), outcome + " has no reason");
      assertTrue(
          outcome.reason().getBytes(StandardCharsets.UTF_8).length <= CloseOutcome.MAX_REASON_BYTES,
          outcome + " reason too long");
      assertTrue(
          outcome.reasonWith("x".repeat(500)).getBytes(StandardCharsets.UTF_8).length
              <= CloseOutcome.MAX_REASON_BYTES);
    }
    Set<Integer> codes =
        Arrays.stream(CloseOutcome.values())
            .map(CloseOutcome::closeCode)
            .collect(Collectors.toSet());
    assertEquals(CloseOutcome.values().length, codes.size(), "two outcomes share a close code");
    for (CloseOutcome outcome : CloseOutcome.values()) {
      assertEquals(outcome, CloseOutcome.withCloseCode(outcome.closeCode()));
    }
    assertEquals(CloseOutcome.INTERNAL_ERROR, CloseOutcome.withCloseCode(4999));
  }

  @ParameterizedTest
  @EnumSource(CloseOutcome.class)
  void everyOutcomeIsProducedByARealScenario(CloseOutcome outcome) throws Exception {
    switch (outcome) {
      case NOT_A_WEBSOCKET -> notAWebSocket();
      case UNKNOWN_SESSION ->
          browserSees(outcome, b -> b, f -> f.client.connect(f.websocket("nobody")));
      case BAD_TOKEN ->
          browserSees(
              outcome,
              b -> b,
              f ->
                  f.client.connect(
                      f.websocket(
                          ProxyFixture.SESSION,
                          new SessionTokens(
                                  "another-key-that-is-32-bytes-long!!"
                                      .getBytes(StandardCharsets.US_ASCII))
                              .mint(ProxyFixture.SESSION))));
      case EXPIRED_TOKEN ->
          browserSees(
              outcome,
              b -> b,
              f ->
                  f.client.connect(
                      f.websocket(
                          ProxyFixture.SESSION,
                          new SessionTokens(
                                  ProxyFixture.KEY,
                                  Clock.fixed(
                                      Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC))
                              .mint(ProxyFixture.SESSION, Duration.ofMinutes(5)))));
      case TOKEN_FOR_OTHER_SESSION ->
          browserSees(
              outcome,
              b -> b,
              f ->
                  f.client.connect(
                      f.websocket(ProxyFixture.SESSION, f.tokens.mint("someone-else"))));
      case ORIGIN_REJECTED ->
          browserSees(
              outcome,
              b -> b,
              f ->
                  f.client.connect(
                      f.websocket(ProxyFixture.SESSION),
                      List.of("binary"),
                      Map.of("Origin", "https://elsewhere.example"),
                      false));
      case LIMIT_REACHED ->
          browserSees(
              outcome,
              b -> b.sessionConnectionLimit(1),
              f -> {
                f.client.connect(f.websocket(ProxyFixture.SESSION));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case PROXY_FULL ->
          browserSees(
              outcome,
              b -> b.maxConnections(1),
              f -> {
                f.client.connect(f.websocket(ProxyFixture.SESSION));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case VM_NOT_READY ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                f.routes.put("s-2", new RouteResolver.Resolution.NotReady("phase BOOTING"));
                return f.client.connect(f.websocket("s-2"));
              });
      case SESSION_ON_ANOTHER_HOST -> sessionOnAnotherHost();
      case VM_UNREACHABLE ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                f.routes.put(ProxyFixture.SESSION, f.route(EchoUpstream.PATH, closedPort()));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case UPSTREAM_HANDSHAKE_FAILED ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                f.routes.put(ProxyFixture.SESSION, f.route("/no-websockify-here"));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case UPSTREAM_CLOSED ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                TestClient.Connection c = f.client.connect(f.websocket(ProxyFixture.SESSION));
                c.sendText("drop");
                return c;
              });
      case VNC_AUTH_FAILED -> vncAuthFailed();
      case UPSTREAM_RFB_FAILED ->
          browserSees(
              outcome,
              b -> b.upstreamConnectTimeout(Duration.ofMillis(800)),
              f -> {
                f.routes.put(ProxyFixture.SESSION, f.route("/silent"));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case BROWSER_RFB_ERROR -> browserBreaksRfb();
      case CONTROL_HELD ->
          browserSees(
              outcome,
              b -> b.controlPolicy(ControlPolicy.REFUSE),
              f -> {
                f.client.connect(f.websocket(ProxyFixture.SESSION));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
      case CONTROL_TAKEN ->
          browserSees(
              outcome,
              b -> b.controlPolicy(ControlPolicy.TAKE_OVER_AND_CLOSE),
              f -> {
                TestClient.Connection first = f.client.connect(f.websocket(ProxyFixture.SESSION));
                f.client.connect(f.websocket(ProxyFixture.SESSION));
                return first;
              });
      case UPSTREAM_STALLED -> upstreamStalled();
      case BROWSER_CLOSED -> browserClosed();
      case BROWSER_TOO_SLOW -> browserTooSlow();
      case BROWSER_PROTOCOL_ERROR ->
          misbehavingBrowserSees(
              outcome,
              b -> b,
              browser -> browser.send(true, RESERVED_OPCODE, true, new byte[] {1, 2, 3}));
      case BROWSER_MESSAGE_TOO_BIG ->
          misbehavingBrowserSees(
              outcome,
              b -> b.maxFrameBytes(ProxyConfig.MIN_FRAME_BYTES),
              browser ->
                  browser.sendHeader(
                      true, WebSocketFrames.BINARY, ProxyConfig.MIN_FRAME_BYTES + 1L));
      case IDLE_TIMEOUT ->
          browserSees(
              outcome,
              b -> b.idleTimeout(Duration.ofMillis(400)).pingInterval(Duration.ofMillis(100)),
              f -> f.client.connect(f.websocket(ProxyFixture.SESSION)));
      case PROXY_SHUTTING_DOWN ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                TestClient.Connection c = f.client.connect(f.websocket(ProxyFixture.SESSION));
                f.proxy.close();
                return c;
              });
      case INTERNAL_ERROR ->
          browserSees(
              outcome,
              b -> b,
              f -> {
                f.routes.failing(
                    ProxyFixture.SESSION, new IllegalStateException("route table exploded"));
                return f.client.connect(f.websocket(ProxyFixture.SESSION));
              });
    }
  }

  @FunctionalInterface
  private interface Scenario {
    TestClient.Connection run(ProxyFixture fixture) throws Exception;
  }

  @FunctionalInterface
  private interface Misbehaviour {
    void send(RawBrowser browser) throws Exception;
  }

  /**
   * A browser that sends what Jetty's client never would gets the outcome's code and reason,
   * counted as that outcome.
   */
  private static void misbehavingBrowserSees(
      CloseOutcome outcome, UnaryOperator<ProxyConfig.Builder> config, Misbehaviour misbehaviour)
      throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(config);
        RawBrowser browser = RawBrowser.connect(fixture.websocket(ProxyFixture.SESSION))) {
      misbehaviour.send(browser);
      TestClient.Closed closed = browser.awaitClose();
      assertEquals(outcome.closeCode(), closed.code(), "close code for " + outcome + ": " + closed);
      assertTrue(
          closed.reason().startsWith(outcome.reason()),
          "reason for " + outcome + ": " + closed.reason());
      assertEquals(1, fixture.proxy.metrics().closes(outcome), outcome + " count");
      assertEquals(
          0,
          fixture.proxy.metrics().closes(CloseOutcome.BROWSER_CLOSED),
          "counted as an ordinary close too");
    }
  }

  /**
   * Runs {@code scenario} and checks the browser got the outcome's code and reason and the proxy
   * counted it.
   */
  private static void browserSees(
      CloseOutcome outcome, UnaryOperator<ProxyConfig.Builder> config, Scenario scenario)
      throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(config)) {
      TestClient.Connection connection = scenario.run(fixture);
      TestClient.Closed closed = connection.awaitClose();
      assertEquals(outcome.closeCode(), closed.code(), "close code for " + outcome + ": " + closed);
      assertTrue(
          closed.reason().startsWith(outcome.reason()),
          "reason for " + outcome + ": " + closed.reason());
      assertTrue(fixture.proxy.metrics().closes(outcome) >= 1, outcome + " was not counted");
    }
  }

  private static void notAWebSocket() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(fixture.http("/sessions/s-1/websockify")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(CloseOutcome.NOT_A_WEBSOCKET.httpStatus(), response.statusCode());
      assertEquals(CloseOutcome.NOT_A_WEBSOCKET.reason(), response.body().trim());
      assertEquals(1, fixture.proxy.metrics().closes(CloseOutcome.NOT_A_WEBSOCKET));
    }
  }

  /**
   * A session whose VM lives on another host closes naming the host, and the session's page there
   * when it fits the close frame.
   */
  private static void sessionOnAnotherHost() throws Exception {
    String page = "http://h2.example:6090/sessions/s-2/";
    String longPage = "http://h2.example:6090/" + "x".repeat(100) + "/sessions/s-3/";
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.hostId("h1"))) {
      fixture.routes.put("s-2", new RouteResolver.Resolution.Elsewhere("h2", page));
      fixture.routes.put("s-3", new RouteResolver.Resolution.Elsewhere("h2", longPage));

      TestClient.Closed closed = fixture.client.connect(fixture.websocket("s-2")).awaitClose();
      TestClient.Closed cut = fixture.client.connect(fixture.websocket("s-3")).awaitClose();

      assertEquals(4308, CloseOutcome.SESSION_ON_ANOTHER_HOST.closeCode());
      assertEquals(
          CloseOutcome.SESSION_ON_ANOTHER_HOST.closeCode(), closed.code(), closed.toString());
      assertEquals("session lives on another host h2: " + page, closed.reason());
      assertEquals(CloseOutcome.SESSION_ON_ANOTHER_HOST.closeCode(), cut.code(), cut.toString());
      assertEquals("session lives on another host h2", cut.reason(), "the page URL does not fit");
      assertEquals(2, fixture.proxy.metrics().closes(CloseOutcome.SESSION_ON_ANOTHER_HOST));
    }
  }

  private static void browserClosed() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      TestClient.Connection connection =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      connection.sendText("hi");
      connection.next();
      connection.session.close(1000, "bye", Callback.NOOP);
      assertEquals(1000, fixture.upstream.closeCodes.poll(10, TimeUnit.SECONDS));
      assertEquals(1000, connection.awaitClose().code());
      awaitCount(fixture, CloseOutcome.BROWSER_CLOSED);
    }
  }

  private static void browserTooSlow() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.writeTimeout(Duration.ofMillis(500)))) {
      TestClient.Connection connection =
          fixture.client.connect(
              fixture.websocket(ProxyFixture.SESSION), List.of("binary"), Map.of(), true);
      connection.sendText("flood " + (64L << 20));
      awaitCount(fixture, CloseOutcome.BROWSER_TOO_SLOW);
      // The close frame waits behind the data the browser has not read yet.
      connection.resume();
      assertEquals(CloseOutcome.BROWSER_TOO_SLOW.closeCode(), connection.awaitClose().code());
    }
  }

  /** The VM's VNC server refuses the password the proxy read for it. */
  private static void vncAuthFailed() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      fixture.upstream.password = "not-" + ProxyFixture.PASSWORD;
      TestClient.Connection connection =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      TestClient.Closed closed = connection.awaitClose();
      assertEquals(CloseOutcome.VNC_AUTH_FAILED.closeCode(), closed.code(), closed.toString());
      assertTrue(closed.reason().startsWith(CloseOutcome.VNC_AUTH_FAILED.reason()));
      assertEquals(1, fixture.upstream.refusedPasswords.get());
      assertEquals(null, connection.serverInit, "the browser got no RFB at all");
      awaitCount(fixture, CloseOutcome.VNC_AUTH_FAILED);
    }
  }

  /** A browser that answers the proxy's RFB banner with something else. */
  private static void browserBreaksRfb() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start();
        RawBrowser browser = RawBrowser.upgradeOnly(fixture.websocket(ProxyFixture.SESSION))) {
      browser.next();
      browser.send(
          true,
          WebSocketFrames.BINARY,
          true,
          "GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      TestClient.Closed closed = browser.awaitClose();
      assertEquals(CloseOutcome.BROWSER_RFB_ERROR.closeCode(), closed.code(), closed.toString());
      awaitCount(fixture, CloseOutcome.BROWSER_RFB_ERROR);
    }
  }

  private static void upstreamStalled() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.writeTimeout(Duration.ofMillis(500)))) {
      TestClient.Connection connection =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      connection.sendText("stall");
      ByteBuffer megabyte = ByteBuffer.allocate(1 << 20);
      for (int i = 0; i < 64 && !connection.closed.isDone(); i++) {
        connection.session.sendBinary(megabyte.duplicate(), Callback.NOOP);
      }
      TestClient.Closed closed;
      try {
        closed = connection.awaitClose();
      } catch (java.util.concurrent.TimeoutException e) {
        throw new AssertionError(
            "no close; proxy metrics:\n" + fixture.proxy.metrics().scrape(), e);
      }
      assertEquals(CloseOutcome.UPSTREAM_STALLED.closeCode(), closed.code(), closed.toString());
      awaitCount(fixture, CloseOutcome.UPSTREAM_STALLED);
    }
  }

  private static void awaitCount(ProxyFixture fixture, CloseOutcome outcome)
      throws InterruptedException {
    Await.until(
        outcome + " counted",
        Duration.ofSeconds(10),
        () -> fixture.proxy.metrics().closes(outcome),
        n -> n > 0);
    assertEquals(1, fixture.proxy.metrics().closes(outcome), outcome + " count");
  }

  /** A port nothing listens on (it was free a moment ago). */
  private static int closedPort() throws Exception {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
