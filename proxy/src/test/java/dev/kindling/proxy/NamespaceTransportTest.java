package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The proxy reaches a VM only inside the VM's namespace: the upstream listens at 127.0.0.1 inside a
 * throwaway namespace, where the host's own loopback has nothing.
 */
@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
class NamespaceTransportTest {

  @Test
  void relaysToAnUpstreamTheHostNamespaceCannotSee() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.allowLoopbackUpstreams(false))) {
      fixture.routes.put(
          "inside",
          new Route(
              "inside",
              "vm0123456789",
              new NamespacedUpstream(
                  fixture.namespace.name(),
                  dev.kindling.workflows.host.GuestNetwork.GUEST_ADDRESS,
                  fixture.upstream.port(),
                  EchoUpstream.PATH)));
      assertThrows(
          java.io.IOException.class,
          () -> {
            try (SocketChannel fromHost = SocketChannel.open()) {
              fromHost
                  .socket()
                  .connect(
                      new InetSocketAddress(
                          dev.kindling.workflows.host.GuestNetwork.GUEST_ADDRESS,
                          fixture.upstream.port()),
                      500);
            }
          },
          "the host namespace reached the VM's address: the test proves nothing");

      TestClient.Connection connection = fixture.client.connect(fixture.websocket("inside"));
      connection.sendText("through the namespace");

      assertEquals("through the namespace", connection.next());
    }
  }

  @Test
  void aMissingNamespaceIsUnreachableNotAFallbackToTheHost() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.allowLoopbackUpstreams(false))) {
      fixture.routes.put(
          "gone",
          new Route(
              "gone",
              "vm0123456789",
              new NamespacedUpstream(
                  "kindling-no-such-ns", "127.0.0.1", fixture.upstream.port(), "/")));

      TestClient.Connection connection = fixture.client.connect(fixture.websocket("gone"));

      assertEquals(CloseOutcome.VM_UNREACHABLE.closeCode(), connection.awaitClose().code());
    }
  }

  @Test
  void aLoopbackRouteIsRefusedUnlessTestsAllowIt() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start(b -> b.allowLoopbackUpstreams(false));
        EchoUpstream onHost = EchoUpstream.onLoopback()) {
      fixture.routes.put(
          "loop",
          new Route(
              "loop", "vm0123456789", new LoopbackUpstream(onHost.port(), EchoUpstream.PATH)));

      TestClient.Connection connection = fixture.client.connect(fixture.websocket("loop"));

      assertEquals(CloseOutcome.INTERNAL_ERROR.closeCode(), connection.awaitClose().code());
      assertEquals(0, onHost.upgrades.get());
    }
  }

  @Test
  void aRouteWithoutANamespaceCannotBeBuilt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new NamespacedUpstream(" ", "169.254.77.2", 6080, "/"));
    assertTrue(e.getMessage().contains("never falls back"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new NamespacedUpstream("kindling-x", "vm.example", 6080, "/"));
  }

  @Test
  void aConnectionRefusedInsideTheNamespaceIsClassifiedUnreachable() {
    assertEquals(
        CloseOutcome.VM_UNREACHABLE,
        UpstreamConnector.classify(
            new java.util.concurrent.ExecutionException(new ConnectException("refused"))));
  }

  @Test
  void runningOutOfDescriptorsIsTheProxysCapacityNotTheVms() {
    // The JDK's socket() failure, and entering a namespace (NetworkNamespaces opens its file
    // first).
    assertEquals(
        CloseOutcome.PROXY_FULL,
        UpstreamConnector.classify(
            new java.util.concurrent.ExecutionException(
                new java.net.SocketException("Too many open files"))));
    assertEquals(
        CloseOutcome.PROXY_FULL,
        UpstreamConnector.classify(
            new java.io.IOException(
                "cannot open /run/netns/kindling-x: errno 24 (Too many open files)")));
  }
}
