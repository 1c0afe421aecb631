package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConnectionCapacityTest {

  @Test
  void twoDescriptorsPerConnectionAfterTheReserve() {
    // 5% of 20,000 is kept for everything else; each connection is a browser and a VM socket.
    assertEquals(9_500, ConnectionCapacity.forOpenFileLimit(20_000));
    // Below 5,120 files the reserve is its minimum of 256.
    assertEquals(384, ConnectionCapacity.forOpenFileLimit(1_024));
    assertEquals(498_074, ConnectionCapacity.forOpenFileLimit(1_048_576));
    assertEquals(
        1, ConnectionCapacity.forOpenFileLimit(100), "a tiny limit still admits one connection");
  }

  @Test
  void theLimitIsThisProcesssSoftOpenFileLimit() throws Exception {
    long soft =
        Files.readAllLines(Path.of("/proc/self/limits")).stream()
            .filter(line -> line.startsWith("Max open files"))
            .map(line -> line.substring("Max open files".length()).trim().split("\\s+")[0])
            .mapToLong(value -> value.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(value))
            .findFirst()
            .orElseThrow();

    assertEquals(soft, ConnectionCapacity.openFileLimit());
    assertEquals(ConnectionCapacity.forOpenFileLimit(soft), ConnectionCapacity.resolve(0));
    assertEquals(7, ConnectionCapacity.resolve(7));
  }

  @Test
  void aProxyWithoutAConfiguredLimitTakesTheDerivedOne() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      assertEquals(ConnectionCapacity.resolve(0), fixture.proxy.maxConnections());
      assertEquals(
          fixture.proxy.maxConnections(),
          ScrapedMetrics.of(fixture.proxy).value("kindling_proxy_max_connections"));
    }
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.maxConnections(3))) {
      assertEquals(3, fixture.proxy.maxConnections());
    }
  }
}
