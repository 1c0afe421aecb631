package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.host.egress.Cidr;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.testing.Await;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EgressProxyTest {
  private static final InetAddress ALLOWED = MapResolver.address(127, 0, 0, 1);
  private static final InetAddress DENIED = MapResolver.address(127, 0, 0, 2);
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String VM = "vm-1";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MapResolver resolver = MapResolver.standard();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private EgressProxy proxy;

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable closeable : closing.reversed()) {
      closeable.close();
    }
  }

  @Test
  void tunnelsConnectBothWaysAndCountsTheBytes() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send(
          "CONNECT allowed.test:"
              + echo.port()
              + " HTTP/1.1\r\nHost: allowed.test:"
              + echo.port()
              + "\r\n\r\nearly");
      ProxyClient.Response established = guest.response();
      assertEquals("HTTP/1.1 200 Connection established", established.statusLine());
      assertEquals("early", guest.readExactly(5), "bytes sent with the head go upstream first");
      guest.send("hello, outside");
      assertEquals("hello, outside", guest.readExactly(14));
    }

    EgressReport report =
        awaitReport(
            r -> r.bytesFromGuest() == 19 && r.bytesToGuest() == 19 && r.openConnections() == 0);
    assertEquals(1, report.connections());
    assertEquals(0, report.refusals());
    assertEquals(List.of("allowed.test:" + echo.port()), report.rules());
    assertEquals(1, resolver.resolutions("allowed.test"));
  }

  @Test
  void forwardsPlainHttpInOriginFormWithoutHopByHopHeaders() throws Exception {
    TestUpstream web =
        upstream(
            TestUpstream.http(
                ALLOWED, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + web.port());
    String authority = "allowed.test:" + web.port();

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send(
          "GET http://"
              + authority
              + "/path/page?q=1#top HTTP/1.1\r\n"
              + "Host: elsewhere.test\r\n"
              + "Proxy-Connection: keep-alive\r\n"
              + "Proxy-Authorization: Basic c2VjcmV0\r\n"
              + "Connection: keep-alive, X-Hop\r\n"
              + "X-Hop: dropped\r\n"
              + "Keep-Alive: 300\r\n"
              + "TE: trailers\r\n"
              + "Upgrade: websocket\r\n"
              + "X-Kept: yes\r\n"
              + "Accept: */*\r\n\r\n");
      String response = guest.readToEnd();
      assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
      assertTrue(response.endsWith("\r\n\r\nhello"), response);
    }

    String forwarded = web.requests().getFirst();
    assertTrue(forwarded.startsWith("GET /path/page?q=1 HTTP/1.1\r\n"), forwarded);
    List<String> headers = forwarded.lines().skip(1).filter(l -> !l.isEmpty()).toList();
    assertEquals(
        List.of("X-Kept: yes", "Accept: */*", "Host: " + authority, "Connection: close"), headers);
    assertEquals(1, resolver.resolutions("allowed.test"));
  }

  @Test
  void forwardsARequestBodySentWithTheHead() throws Exception {
    TestUpstream web = upstream(TestUpstream.http(ALLOWED, "HTTP/1.0 204 No Content\r\n\r\n"));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + web.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send(
          "POST http://allowed.test:"
              + web.port()
              + "?form HTTP/1.0\r\nContent-Length: 9\r\n\r\na=1&b=two");
      assertTrue(guest.readToEnd().startsWith("HTTP/1.0 204 No Content"));
    }

    String forwarded = web.requests().getFirst();
    assertTrue(forwarded.startsWith("POST /?form HTTP/1.1\r\n"), forwarded);
    assertTrue(forwarded.endsWith("Connection: close\r\n\r\na=1&b=two"), forwarded);
  }

  @Test
  void onlyOneRequestAndItsBodyReachTheUpstreamOfAForwardedConnection() throws Exception {
    TestUpstream sink = upstream(TestUpstream.sink(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + sink.port());
    String forwarded =
        "POST /x HTTP/1.1\r\nContent-Length: 3\r\nHost: allowed.test:"
            + sink.port()
            + "\r\nConnection: close\r\n\r\nabc";

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send(
          "POST http://allowed.test:"
              + sink.port()
              + "/x HTTP/1.1\r\nContent-Length: 3\r\nConnection: content-length\r\n\r\nabc"
              + "GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n");
      Await.until("the body at the upstream", WAIT, sink::received, n -> n == forwarded.length());
      guest.send("GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n");
      Thread.sleep(300);
    }
    assertEquals(
        forwarded.length(),
        sink.received(),
        "the head and its 3 bytes of body, and nothing the guest sent after them");
  }

  @Test
  void aChunkedRequestBodyIsRefusedNotForwarded() throws Exception {
    TestUpstream web = upstream(TestUpstream.http(ALLOWED, "HTTP/1.0 204 No Content\r\n\r\n"));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + web.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send(
          "POST http://allowed.test:"
              + web.port()
              + "/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
      assertEquals(400, guest.response().status());
    }
    assertEquals(0, web.accepted(), "nothing was connected");
  }

  @Test
  void allowsAnyCaseAndATrailingDotOfAnAllowedName() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send("CONNECT ALLOWED.test.:" + echo.port() + " HTTP/1.1\r\n\r\n");
      assertEquals(200, guest.response().status());
      guest.send("x");
      assertEquals("x", guest.readExactly(1));
    }
    assertEquals(1, resolver.resolutions("allowed.test"));
  }

  @Test
  void refusesWhatThePolicyDoesNotNameWithoutResolvingOrConnecting() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());
    int otherPort = echo.port() == 65535 ? 65534 : echo.port() + 1;

    List<String[]> cases =
        List.of(
            new String[] {"allowed.test:" + otherPort, "allowed.test:" + otherPort},
            new String[] {"unlisted.test:" + echo.port(), "unlisted.test:" + echo.port()},
            new String[] {"127.0.0.1:" + echo.port(), "127.0.0.1:" + echo.port()},
            new String[] {"[::1]:" + echo.port(), "[::1]:" + echo.port()});
    for (String[] c : cases) {
      try (ProxyClient guest = ProxyClient.connect(port)) {
        ProxyClient.Response response =
            guest.send("CONNECT " + c[0] + " HTTP/1.1\r\n\r\n").response();
        assertEquals(403, response.status(), c[0]);
        assertEquals(c[1] + " is not allowed for this session\n", response.body());
      }
    }
    try (ProxyClient guest = ProxyClient.connect(port)) {
      ProxyClient.Response response =
          guest.send("GET http://127.0.0.1:" + echo.port() + "/ HTTP/1.1\r\n\r\n").response();
      assertEquals(403, response.status());
    }

    assertEquals(0, echo.accepted(), "nothing reached the upstream");
    assertEquals(0, resolver.resolutions(), "nothing was resolved");
    EgressReport report = report();
    assertEquals(5, report.refusals());
    assertEquals(
        new EgressRefusal(
            0,
            "[::1]",
            echo.port(),
            403,
            "[::1]:" + echo.port() + " is not allowed for this session"),
        withoutTime(report.lastRefusals().get(3)));
  }

  @Test
  void refusesANameThatResolvesIntoADeniedRange() throws Exception {
    TestUpstream inside = upstream(TestUpstream.echo(DENIED));
    int port = serve(EgressLimits.defaults(), "private.test:" + inside.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      ProxyClient.Response response =
          guest.send("CONNECT private.test:" + inside.port() + " HTTP/1.1\r\n\r\n").response();
      assertEquals(403, response.status());
      assertEquals(
          "private.test resolves to 127.0.0.2, which is in 127.0.0.0/8 (loopback) and never"
              + " reachable from a VM\n",
          response.body());
    }
    assertEquals(0, inside.accepted());
    assertEquals(1, resolver.resolutions("private.test"));
  }

  @Test
  void connectsOnlyToTheAddressesOfANameThatAreNotDenied() throws Exception {
    TestUpstream outside = upstream(TestUpstream.echo(ALLOWED));
    TestUpstream inside = upstream(TestUpstream.echo(DENIED, outside.port()));
    int port = serve(EgressLimits.defaults(), "mixed.test:" + outside.port());

    // mixed.test resolves to 127.0.0.2 first; the proxy must skip it, not try it and fail over.
    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send("CONNECT mixed.test:" + outside.port() + " HTTP/1.1\r\n\r\n");
      assertEquals(200, guest.response().status());
    }
    Await.until("the upstream to accept", Duration.ofSeconds(10), outside::accepted, n -> n == 1);
    assertEquals(0, inside.accepted(), "nothing tried the denied address");
    assertEquals(1, resolver.resolutions("mixed.test"));
  }

  @Test
  void answers502WhenTheNameDoesNotResolveOrTheUpstreamRefuses() throws Exception {
    int closedPort = closedPort();
    int port = serve(EgressLimits.defaults(), "nowhere.test:443", "allowed.test:" + closedPort);

    try (ProxyClient guest = ProxyClient.connect(port)) {
      ProxyClient.Response response =
          guest.send("CONNECT nowhere.test:443 HTTP/1.1\r\n\r\n").response();
      assertEquals(502, response.status());
      assertEquals("nowhere.test does not resolve\n", response.body());
    }
    try (ProxyClient guest = ProxyClient.connect(port)) {
      ProxyClient.Response response =
          guest.send("GET http://allowed.test:" + closedPort + "/ HTTP/1.1\r\n\r\n").response();
      assertEquals(502, response.status());
      assertTrue(
          response.body().startsWith("allowed.test:" + closedPort + " could not be reached"),
          response.body());
    }
    assertEquals(1, resolver.resolutions("nowhere.test"));
    assertEquals(1, resolver.resolutions("allowed.test"));
  }

  @Test
  void answers431ToAnOversizedHead() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    EgressLimits limits = limits(64, Duration.ofMinutes(1), Duration.ofSeconds(10), 1024, 0);
    int port = serve(limits, "allowed.test:" + echo.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      ProxyClient.Response response =
          guest
              .send(
                  "CONNECT allowed.test:"
                      + echo.port()
                      + " HTTP/1.1\r\nX-Big: "
                      + "a".repeat(2000)
                      + "\r\n\r\n")
              .response();
      assertEquals(431, response.status());
    }
    assertEquals(0, echo.accepted());
    EgressRefusal refusal = report().lastRefusals().getFirst();
    assertEquals(null, refusal.host());
    assertEquals(0, refusal.port());
  }

  @Test
  void answers400ToRequestsWithoutAHostOrInTheWrongForm() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    for (String request :
        List.of(
            "CONNECT :443 HTTP/1.1\r\n\r\n",
            "CONNECT allowed.test HTTP/1.1\r\n\r\n",
            "GET http:///x HTTP/1.1\r\n\r\n",
            "GET /x HTTP/1.1\r\nHost: allowed.test\r\n\r\n",
            "GET https://allowed.test/ HTTP/1.1\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET /\r\n\r\n",
            "CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n folded\r\n\r\n")) {
      try (ProxyClient guest = ProxyClient.connect(port)) {
        assertEquals(400, guest.send(request).response().status(), request);
      }
    }
    try (ProxyClient guest = ProxyClient.connect(port)) {
      String body = guest.send("GET /x HTTP/1.1\r\nHost: allowed.test\r\n\r\n").response().body();
      assertTrue(body.contains("CONNECT") && body.contains("http://"), body);
    }
    assertEquals(0, echo.accepted());
    assertEquals(0, resolver.resolutions());
  }

  @Test
  void refusesGarbageAtOnceWithoutConnecting() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    byte[] tlsHello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
    try (ProxyClient guest = ProxyClient.connect(port)) {
      assertEquals(400, guest.send(tlsHello).response().status());
    }
    try (ProxyClient guest = ProxyClient.connect(port)) {
      assertEquals(400, guest.send("GET \u0000\u0001\u0002").response().status());
    }
    assertEquals(0, echo.accepted());
  }

  @Test
  void answers408ToAClientThatTricklesItsHead() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    EgressLimits limits = limits(64, Duration.ofMinutes(1), Duration.ofSeconds(1), 16 * 1024, 0);
    int port = serve(limits, "allowed.test:" + echo.port());
    byte[] head =
        ("CONNECT allowed.test:"
                + echo.port()
                + " HTTP/1.1\r\nUser-Agent: "
                + "x".repeat(100)
                + "\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    try (ProxyClient guest = ProxyClient.connect(port)) {
      Thread trickle =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (byte b : head) {
                        guest.send(new byte[] {b});
                        Thread.sleep(200);
                      }
                    } catch (IOException | InterruptedException e) {
                      // The proxy gave up on it, as it should.
                    }
                  });
      // The whole head would take 30 s; the response must come long before.
      assertEquals(408, guest.response().status());
      trickle.interrupt();
    }
    assertEquals(0, echo.accepted());
  }

  @Test
  void answers429BeyondTheConnectionLimitCountingConnectionsStillSendingTheirHead()
      throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    EgressLimits limits = limits(2, Duration.ofMinutes(1), Duration.ofSeconds(30), 16 * 1024, 0);
    int port = serve(limits, "allowed.test:" + echo.port());
    String connect = "CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n";

    try (ProxyClient tunnel = ProxyClient.connect(port);
        ProxyClient silent = ProxyClient.connect(port)) {
      assertEquals(200, tunnel.send(connect).response().status());
      awaitReport(r -> r.openConnections() == 2);
      try (ProxyClient third = ProxyClient.connect(port)) {
        ProxyClient.Response response = third.send(connect).response();
        assertEquals(429, response.status());
        assertTrue(response.body().startsWith("too many connections"), response.body());
      }
      silent.close();
      awaitReport(r -> r.openConnections() == 1);
      try (ProxyClient fourth = ProxyClient.connect(port)) {
        assertEquals(200, fourth.send(connect).response().status());
      }
    }
    EgressRefusal refusal = report().lastRefusals().getFirst();
    assertEquals("allowed.test", refusal.host());
    assertEquals(429, refusal.status());
  }

  @Test
  void refusesAFloodOfConnectionsBeyondTheLimitWithoutServingAny() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    EgressLimits limits = limits(1, Duration.ofMinutes(1), Duration.ofSeconds(30), 16 * 1024, 0);
    int port = serve(limits, "allowed.test:" + echo.port());
    String connect = "CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n";

    try (ProxyClient tunnel = ProxyClient.connect(port)) {
      assertEquals(200, tunnel.send(connect).response().status());
      List<ProxyClient> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          flood.add(ProxyClient.connect(port).send(connect));
        }
        for (ProxyClient guest : flood) {
          // Beyond twice the limit the answer comes before the request is read, so a reset may
          // overtake it; either way nothing is served.
          try {
            assertEquals(429, guest.response().status());
          } catch (java.net.SocketException reset) {
            // Refused all the same.
          }
        }
      } finally {
        for (ProxyClient guest : flood) {
          guest.close();
        }
      }
      tunnel.send("still here");
      assertEquals("still here", tunnel.readExactly(10));
    }
    Await.until("the upstream to accept", Duration.ofSeconds(10), echo::accepted, n -> n == 1);
    assertEquals(8, awaitReport(r -> r.refusals() == 8).lastRefusals().size());
  }

  @Test
  void closesAQuietTunnelAfterTheIdleTimeoutButNotOneBusyInOneDirection() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    TestUpstream sink = upstream(TestUpstream.sink(ALLOWED));
    // The idle timeout leaves room for stalls of a busy 2-CPU host between the 100 ms sends.
    EgressLimits limits = limits(64, Duration.ofSeconds(3), Duration.ofSeconds(10), 16 * 1024, 0);
    int port = serve(limits, "allowed.test:" + echo.port(), "allowed.test:" + sink.port());

    try (ProxyClient quiet = ProxyClient.connect(port);
        ProxyClient busy = ProxyClient.connect(port)) {
      assertEquals(
          200,
          quiet
              .send("CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n")
              .response()
              .status());
      assertEquals(
          200,
          busy.send("CONNECT allowed.test:" + sink.port() + " HTTP/1.1\r\n\r\n")
              .response()
              .status());

      // Only the guest speaks on the busy tunnel; nothing ever comes back from the sink.
      for (int i = 0; i < 40; i++) {
        busy.send("b");
        Thread.sleep(100);
      }
      assertTrue(quiet.endedByProxy(), "the quiet tunnel was closed");
      Await.until("the sink received every byte", WAIT, sink::received, n -> n == 40);
      assertEquals(1, report().openConnections(), "the busy tunnel is still open");
      busy.send("c");
      Await.until("the sink received the last byte", WAIT, sink::received, n -> n == 41);

      assertTrue(busy.endedByProxy(), "once quiet, the busy tunnel is closed too");
    }
  }

  @Test
  void cutsOpenConnectionsAndRefusesNewRequestsOnceTheByteLimitIsUsedUp() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    EgressLimits limits =
        limits(64, Duration.ofMinutes(1), Duration.ofSeconds(10), 16 * 1024, 1000);
    int port = serve(limits, "allowed.test:" + echo.port());
    String connect = "CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n";

    try (ProxyClient first = ProxyClient.connect(port);
        ProxyClient second = ProxyClient.connect(port)) {
      assertEquals(200, first.send(connect).response().status());
      assertEquals(200, second.send(connect).response().status());
      first.send("a".repeat(600));
      assertTrue(first.endedByProxy());
      assertTrue(second.endedByProxy(), "every connection of the VM is cut");
    }
    try (ProxyClient late = ProxyClient.connect(port)) {
      ProxyClient.Response response = late.send(connect).response();
      assertEquals(403, response.status());
      assertTrue(response.body().contains("used up its 1000 bytes"), response.body());
    }
    EgressReport report = awaitReport(r -> r.openConnections() == 0);
    assertTrue(report.bytesFromGuest() + report.bytesToGuest() >= 1000, report.toString());
  }

  @Test
  void stopClosesTheListenerCutsTunnelsAndForgetsTheVm() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send("CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n");
      assertEquals(200, guest.response().status());

      assertTrue(proxy.stop(VM));
      assertTrue(guest.endedByProxy());
    }
    assertThrows(
        ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
    assertFalse(proxy.stop(VM), "stopping again finds nothing");
    assertTrue(proxy.report(VM).isEmpty());
    assertTrue(proxy.vms().isEmpty());
  }

  @Test
  void refusesToServeAVmTwiceAndClosesTheSecondListener() throws Exception {
    serve(EgressLimits.defaults(), "allowed.test:443");
    ServerSocket second = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    assertThrows(
        IllegalStateException.class,
        () -> proxy.start(VM, "session-2", EgressPolicy.DENY_ALL, second));
    assertTrue(second.isClosed());
    assertEquals(java.util.Set.of(VM), proxy.vms());
  }

  @Test
  void closeStopsEveryVm() throws Exception {
    int first = serve(EgressLimits.defaults(), "allowed.test:443");
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    proxy.start("vm-2", "session-2", EgressPolicy.DENY_ALL, listener);
    assertEquals(java.util.Set.of(VM, "vm-2"), proxy.vms());

    proxy.close();
    assertTrue(proxy.vms().isEmpty());
    assertTrue(listener.isClosed());
    assertThrows(
        ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), first).close());
    assertThrows(
        IllegalStateException.class,
        () ->
            proxy.start(
                "vm-3",
                "session-3",
                EgressPolicy.DENY_ALL,
                new ServerSocket(0, 50, InetAddress.getLoopbackAddress())));
  }

  @Test
  void answersABrowserWithAPageAndAnythingElseWithALine() throws Exception {
    int port = serve(EgressLimits.defaults(), "allowed.test:443");

    try (ProxyClient browser = ProxyClient.connect(port)) {
      ProxyClient.Response page =
          browser
              .send(
                  "GET http://blocked.test/ HTTP/1.1\r\nAccept:"
                      + " text/html,application/xhtml+xml;q=0.9\r\n\r\n")
              .response();
      assertEquals("HTTP/1.1 403 Forbidden", page.statusLine());
      assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
      assertEquals("close", page.header("Connection"));
      assertEquals("no-store", page.header("Cache-Control"));
      assertEquals("refused", page.header("X-Kindling-Egress"));
      assertTrue(page.body().startsWith("<!DOCTYPE html>"), page.body());
      assertTrue(page.body().contains("blocked.test:80 is not allowed for this session"));
    }
    try (ProxyClient tool = ProxyClient.connect(port)) {
      ProxyClient.Response line =
          tool.send("CONNECT blocked.test:443 HTTP/1.1\r\nAccept: */*\r\n\r\n").response();
      assertEquals("text/plain; charset=utf-8", line.header("Content-Type"));
      assertEquals("refused", line.header("X-Kindling-Egress"));
      assertEquals("blocked.test:443 is not allowed for this session\n", line.body());
      assertEquals(Integer.toString(line.body().length()), line.header("Content-Length"));
    }
  }

  @Test
  void reportsCountsAndOnlyTheLatestRefusals() throws Exception {
    int port = serve(EgressLimits.defaults(), "allowed.test:443", "*.example.test:8443");
    assertEquals(
        new EgressReport(
            List.of("allowed.test:443", "*.example.test:8443"), 0, 0, 0, 0, 0, List.of()),
        report());

    long before = System.currentTimeMillis();
    for (int i = 1; i <= EgressReport.LAST_REFUSALS + 2; i++) {
      try (ProxyClient guest = ProxyClient.connect(port)) {
        guest.send("CONNECT H" + i + ".test:443 HTTP/1.1\r\n\r\n").response();
      }
    }
    long after = System.currentTimeMillis();

    EgressReport report = awaitReport(r -> r.refusals() == EgressReport.LAST_REFUSALS + 2);
    assertEquals(EgressReport.LAST_REFUSALS, report.lastRefusals().size());
    EgressRefusal oldest = report.lastRefusals().getFirst();
    EgressRefusal latest = report.lastRefusals().getLast();
    assertEquals(
        new EgressRefusal(0, "H3.test", 443, 403, "h3.test:443 is not allowed for this session"),
        withoutTime(oldest));
    assertEquals("H12.test", latest.host());
    assertTrue(oldest.atMillis() >= before && latest.atMillis() <= after, report.toString());
    assertEquals(0, report.connections());
  }

  @Test
  void registersMetersPerVmAndRemovesThemOnStop() throws Exception {
    TestUpstream echo = upstream(TestUpstream.echo(ALLOWED));
    int port = serve(EgressLimits.defaults(), "allowed.test:" + echo.port());

    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send("CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n").response();
      guest.send("four");
      assertEquals("four", guest.readExactly(4));
      assertEquals(1.0, registry.get(EgressMeters.OPEN_CONNECTIONS).tag("vm", VM).gauge().value());
    }
    try (ProxyClient guest = ProxyClient.connect(port)) {
      guest.send("CONNECT blocked.test:443 HTTP/1.1\r\n\r\n").response();
    }
    awaitReport(r -> r.openConnections() == 0 && r.bytesToGuest() == 4);

    assertEquals(1.0, registry.get(EgressMeters.CONNECTIONS).tag("vm", VM).counter().count());
    assertEquals(
        1.0,
        registry.get(EgressMeters.REFUSALS).tag("vm", VM).tag("status", "403").counter().count());
    assertEquals(
        4.0,
        registry
            .get(EgressMeters.BYTES)
            .tag("vm", VM)
            .tag("direction", "from_guest")
            .counter()
            .count());
    assertEquals(
        4.0,
        registry
            .get(EgressMeters.BYTES)
            .tag("vm", VM)
            .tag("direction", "to_guest")
            .counter()
            .count());
    assertEquals(0.0, registry.get(EgressMeters.OPEN_CONNECTIONS).tag("vm", VM).gauge().value());

    proxy.stop(VM);
    List<Meter> left =
        registry.getMeters().stream().filter(m -> VM.equals(m.getId().getTag("vm"))).toList();
    assertEquals(List.of(), left);
  }

  private EgressReport report() {
    return proxy.report(VM).orElseThrow();
  }

  private EgressReport awaitReport(Predicate<EgressReport> done) throws InterruptedException {
    return Await.until("the egress report", WAIT, this::report, done);
  }

  private static EgressRefusal withoutTime(EgressRefusal refusal) {
    return new EgressRefusal(0, refusal.host(), refusal.port(), refusal.status(), refusal.reason());
  }

  private TestUpstream upstream(TestUpstream upstream) {
    closing.add(upstream);
    return upstream;
  }

  /** Starts the proxy and serves {@link #VM} with the given allow-list; returns its port. */
  private int serve(EgressLimits limits, String... allowed) throws IOException {
    AddressDenyList denyList =
        AddressDenyList.standard(List.of(), List.of(Cidr.parse("127.0.0.1/32")));
    proxy = new EgressProxy(denyList, resolver, limits, registry);
    closing.add(proxy);
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    proxy.start(VM, "session-1", EgressPolicy.parse(List.of(allowed)), listener);
    return listener.getLocalPort();
  }

  private static EgressLimits limits(
      int connections, Duration idle, Duration head, int headBytes, long bytes) {
    return new EgressLimits(connections, idle, head, Duration.ofSeconds(10), headBytes, bytes);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, ALLOWED)) {
      return probe.getLocalPort();
    }
  }
}
