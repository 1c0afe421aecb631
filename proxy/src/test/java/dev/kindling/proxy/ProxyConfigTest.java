package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {

  @Test
  void defaultsMatchTheDocumentedOnes() {
    ProxyConfig config = ProxyConfig.builder().build();

    assertEquals("127.0.0.1", config.bindHost());
    assertEquals(6090, config.port());
    assertEquals("/sessions/s-1/websockify", config.websocketPath("s-1"));
    assertEquals(Duration.ofSeconds(25), config.pingInterval());
    assertEquals(java.nio.file.Path.of("/usr/share/novnc"), config.noVncDir());
    assertEquals(false, config.reusePort());
    assertEquals(-1, config.metricsPort(), "-1: no metrics port of its own");
    assertEquals(0, config.maxConnections(), "0: derived from the open-file limit");
  }

  @Test
  void aMetricsPortIsNoneEphemeralOrAnotherPortThanTheMainOne() {
    assertThrows(
        IllegalArgumentException.class, () -> ProxyConfig.builder().metricsPort(-2).build());
    assertThrows(
        IllegalArgumentException.class, () -> ProxyConfig.builder().metricsPort(65536).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ProxyConfig.builder().port(6090).metricsPort(6090).build());
    assertEquals(6091, ProxyConfig.builder().metricsPort(6091).build().metricsPort());
  }

  @Test
  void aNegativeConnectionLimitIsRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> ProxyConfig.builder().maxConnections(-1).build());
  }

  @Test
  void productionModeRefusesToRunWithoutAKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProxyConfig.builder().productionMode(true).build());
    assertEquals(
        "production mode requires a configured token key (never a default)", e.getMessage());
    ProxyConfig.builder().productionMode(true).tokenKey(ProxyFixture.KEY).build();
  }

  @Test
  void productionModeNeverAllowsLoopbackUpstreams() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ProxyConfig.builder()
                .productionMode(true)
                .tokenKey(ProxyFixture.KEY)
                .allowLoopbackUpstreams(true)
                .build());
  }

  @Test
  void framesSmallerThanAMebibyteAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ProxyConfig.builder().maxFrameBytes(64 * 1024).build());
  }

  @Test
  void aCustomPrefixMovesEveryRoute() {
    ProxyConfig config = ProxyConfig.builder().pathPrefix("/vnc").build();

    assertEquals("/vnc/abc/websockify", config.websocketPath("abc"));
    assertEquals("/vnc/abc/", config.pagePath("abc"));
  }
}
