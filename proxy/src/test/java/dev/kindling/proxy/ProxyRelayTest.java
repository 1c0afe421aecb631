package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.testing.Await;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay itself, shaped like Jetty's WebSocketProxyTest: real proxy, real client, echo upstream.
 */
class ProxyRelayTest {
  private ProxyFixture fixture;

  @BeforeEach
  void start() throws Exception {
    fixture = ProxyFixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  @Test
  void echoesTextAndBinaryThroughTheProxy() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));

    connection.sendText("hello");
    assertEquals("hello", connection.next());
    connection.sendBinary(new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) connection.next());

    assertEquals(1, fixture.upstream.upgrades.get());
    assertEquals(1, fixture.proxy.metrics().openSessions());
    // Bytes are counted when a write completes, which can be just after the peer has read them.
    Await.until(
        "8 bytes counted each way",
        Duration.ofSeconds(10),
        () ->
            Math.min(
                fixture.proxy.metrics().bytesToUpstream(),
                fixture.proxy.metrics().bytesToBrowser()),
        least -> least >= 8);
    assertTrue(
        fixture.proxy.metrics().bytesToUpstream() >= 8,
        "bytes to upstream: " + fixture.proxy.metrics().bytesToUpstream());
    assertTrue(
        fixture.proxy.metrics().bytesToBrowser() >= 8,
        "bytes to browser: " + fixture.proxy.metrics().bytesToBrowser());
  }

  @Test
  void relaysAOneMebibyteFrameBothWays() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
    byte[] frame = new byte[1 << 20];
    new Random(7).nextBytes(frame);

    connection.sendBinary(frame);

    assertArrayEquals(frame, (byte[]) connection.next());
  }

  @Test
  void aFragmentedMessageAndAPingBetweenItsFragmentsPassThrough() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
    byte[] first = new byte[100_000];
    byte[] second = new byte[3];
    new Random(3).nextBytes(first);
    new Random(4).nextBytes(second);

    connection.sendFragment(first, false);
    connection.sendPing(new byte[] {7});
    connection.sendFragment(second, true);

    byte[] whole = new byte[first.length + second.length];
    System.arraycopy(first, 0, whole, 0, first.length);
    System.arraycopy(second, 0, whole, first.length, second.length);
    assertArrayEquals(whole, (byte[]) connection.next());
    Await.until("a pong", Duration.ofSeconds(10), connection.pongs::get, n -> n > 0);
    assertEquals(1, connection.pongs.get(), "the proxy answers a browser's ping itself");
  }

  @Test
  void aMessageOverTheSizeLimitClosesWith1009() throws Exception {
    try (ProxyFixture limited = ProxyFixture.start(b -> b.maxFrameBytes(1 << 20))) {
      TestClient.Connection connection =
          limited.client.connect(limited.websocket(ProxyFixture.SESSION));

      connection.session.sendBinary(
          java.nio.ByteBuffer.allocate((1 << 20) + 1),
          org.eclipse.jetty.websocket.api.Callback.NOOP);

      TestClient.Closed closed = connection.awaitClose();
      assertEquals(1009, closed.code(), closed.toString());
      assertEquals(
          CloseOutcome.BROWSER_MESSAGE_TOO_BIG.reason() + " (message larger than 1048576 bytes)",
          closed.reason());
      assertEquals(1, limited.proxy.metrics().closes(CloseOutcome.BROWSER_MESSAGE_TOO_BIG));
    }
  }

  @Test
  void aFragmentedMessageOverTheSizeLimitClosesBothSidesWith1009() throws Exception {
    try (ProxyFixture limited =
            ProxyFixture.start(b -> b.maxFrameBytes(ProxyConfig.MIN_FRAME_BYTES));
        RawBrowser browser = RawBrowser.connect(limited.websocket(ProxyFixture.SESSION))) {
      byte[] overHalf = new byte[ProxyConfig.MIN_FRAME_BYTES / 2 + 1];

      browser.send(false, WebSocketFrames.BINARY, true, overHalf);
      browser.send(true, WebSocketFrames.CONTINUATION, true, overHalf);

      assertEquals(
          new TestClient.Closed(
              1009,
              CloseOutcome.BROWSER_MESSAGE_TOO_BIG.reason()
                  + " (message larger than 1048576 bytes)"),
          browser.awaitClose());
      assertEquals(
          1009,
          limited.upstream.closeCodes.poll(10, TimeUnit.SECONDS),
          "the VM gets the same code");
      ScrapedMetrics metrics = ScrapedMetrics.of(limited.proxy);
      assertEquals(
          1,
          metrics.value(
              "kindling_proxy_closes_total", "outcome", "browser_message_too_big", "code", "1009"));
      assertFalse(
          metrics.has("kindling_proxy_closes_total", "outcome", "browser_closed"),
          metrics::toString);
    }
  }

  @Test
  void anUnmaskedFrameFromTheBrowserClosesBothSidesWith1002() throws Exception {
    try (RawBrowser browser = RawBrowser.connect(fixture.websocket(ProxyFixture.SESSION))) {
      browser.send(true, WebSocketFrames.TEXT, true, "hello".getBytes(StandardCharsets.UTF_8));
      assertEquals("hello", new String(browser.next().payload(), StandardCharsets.UTF_8));

      browser.send(true, WebSocketFrames.BINARY, false, new byte[] {1, 2, 3});

      assertEquals(
          new TestClient.Closed(
              1002,
              CloseOutcome.BROWSER_PROTOCOL_ERROR.reason() + " (a client's frames must be masked)"),
          browser.awaitClose());
      assertEquals(
          1002,
          fixture.upstream.closeCodes.poll(10, TimeUnit.SECONDS),
          "the VM gets the same code");
      ScrapedMetrics metrics = ScrapedMetrics.of(fixture.proxy);
      assertEquals(
          1,
          metrics.value(
              "kindling_proxy_closes_total", "outcome", "browser_protocol_error", "code", "1002"));
      assertFalse(
          metrics.has("kindling_proxy_closes_total", "outcome", "browser_closed"),
          metrics::toString);
    }
  }

  @Test
  void aBrowserThatVanishesWithoutACloseFrameClosesTheVmWithTheBrowserClosedCode()
      throws Exception {
    try (RawBrowser browser = RawBrowser.connect(fixture.websocket(ProxyFixture.SESSION))) {
      browser.send(true, WebSocketFrames.TEXT, true, "hello".getBytes(StandardCharsets.UTF_8));
      assertEquals("hello", new String(browser.next().payload(), StandardCharsets.UTF_8));
    }

    assertEquals(
        CloseOutcome.BROWSER_CLOSED.closeCode(),
        fixture.upstream.closeCodes.poll(10, TimeUnit.SECONDS));
    ScrapedMetrics metrics = ScrapedMetrics.of(fixture.proxy);
    assertEquals(
        1,
        metrics.value("kindling_proxy_closes_total", "outcome", "browser_closed", "code", "1000"));
  }

  @Test
  void echoesTheBinarySubprotocolOnlyWhenOffered() throws Exception {
    TestClient.Connection offered =
        fixture.client.connect(
            fixture.websocket(ProxyFixture.SESSION), List.of("binary"), Map.of(), false);
    TestClient.Connection notOffered =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION), List.of(), Map.of(), false);

    assertEquals("binary", offered.subprotocol());
    assertNull(notOffered.subprotocol());
    // The proxy always asks the VM's websockify for binary, whatever the browser offered.
    assertEquals(
        List.of(List.of("binary"), List.of("binary")), fixture.upstream.offeredSubprotocols);
    notOffered.sendText("still relayed");
    assertEquals("still relayed", notOffered.next());
  }

  @Test
  void aBrowserCloseReachesTheVmWithItsCode() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
    connection.sendText("ready");
    connection.next();

    connection.session.close(4100, "user left", org.eclipse.jetty.websocket.api.Callback.NOOP);

    assertEquals(4100, fixture.upstream.closeCodes.poll(10, TimeUnit.SECONDS));
    assertEquals(4100, connection.awaitClose().code());
  }

  @Test
  void aVmCloseReachesTheBrowserWithItsCodeAndReason() throws Exception {
    TestClient.Connection connection =
        fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));

    connection.sendText("close 4321 desktop stopped");

    assertEquals(new TestClient.Closed(4321, "desktop stopped"), connection.awaitClose());
  }

  @Test
  void aSlowBrowserStopsTheProxyReadingTheVmInsteadOfBuffering() throws Exception {
    long flood = 48L << 20;
    TestClient.Connection connection =
        fixture.client.connect(
            fixture.websocket(ProxyFixture.SESSION), List.of("binary"), Map.of(), true);
    connection.sendText("flood " + flood);

    // Wait until the relay stalls: the browser reads nothing, so the proxy must stop reading the
    // VM.
    long relayed = waitForStall(() -> fixture.proxy.metrics().bytesToBrowser());
    long bound = fixture.proxy.config().maxQueuedBytes() * 2;
    assertTrue(
        relayed < flood,
        "the proxy relayed " + relayed + " of " + flood + " bytes to a browser that reads nothing");
    assertTrue(
        fixture.proxy.metrics().queuedBytesHighWater() <= bound,
        "queued " + fixture.proxy.metrics().queuedBytesHighWater() + " bytes, bound " + bound);
    assertTrue(fixture.upstream.floodSent.get() < flood, "the VM side was never held back");

    connection.resume();
    Await.until(
        "the whole flood received",
        Duration.ofSeconds(30),
        connection.bytesReceived::get,
        n -> n >= flood);
    assertEquals(flood, connection.bytesReceived.get());
    assertTrue(fixture.proxy.metrics().queuedBytesHighWater() <= bound);
  }

  @Test
  void aClosedConnectionGivesItsSlotBack() throws Exception {
    try (ProxyFixture limited = ProxyFixture.start(b -> b.sessionConnectionLimit(1))) {
      TestClient.Connection first = limited.client.connect(limited.websocket(ProxyFixture.SESSION));
      first.session.close(1000, "done", org.eclipse.jetty.websocket.api.Callback.NOOP);
      first.awaitClose();
      Await.until(
          "the slot given back",
          Duration.ofSeconds(10),
          () -> limited.proxy.connections(ProxyFixture.SESSION),
          n -> n == 0);

      TestClient.Connection second =
          limited.client.connect(limited.websocket(ProxyFixture.SESSION));
      second.sendText("again");

      assertEquals("again", second.next());
    }
  }

  @Test
  void plainHttpToTheWebSocketPathIsTold426() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fixture.http("/sessions/s-1/websockify")).build(),
                HttpResponse.BodyHandlers.ofString());

    assertEquals(426, response.statusCode());
    assertEquals(
        "NOT_A_WEBSOCKET", response.headers().firstValue(HttpReplies.OUTCOME_HEADER).orElseThrow());
  }

  /** Polls {@code counter} until it has not moved for half a second, and returns its value. */
  static long waitForStall(java.util.function.LongSupplier counter) throws InterruptedException {
    long last = -1;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      long now = counter.getAsLong();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (now > 0 && System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(500)) {
        return now;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the relay never stalled");
  }
}
