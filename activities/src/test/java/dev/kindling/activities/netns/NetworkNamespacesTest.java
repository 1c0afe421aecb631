package dev.kindling.activities.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.activities.testing.HostCapability;
import dev.kindling.activities.testing.RequiresHost;
import dev.kindling.activities.testing.TestNamespace;
import dev.kindling.workflows.InvalidInputException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NetworkNamespacesTest {

  @Test
  void refusesNamesThatCouldEscapeTheNetnsDirectory() {
    assertThrows(InvalidInputException.class, () -> NetworkNamespaces.path("../etc"));
    assertThrows(InvalidInputException.class, () -> NetworkNamespaces.path("a b"));
    assertThrows(InvalidInputException.class, () -> NetworkNamespaces.path(".hidden"));
  }

  @Test
  @RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
  void aSocketOpenedInsideReachesOnlyThatNamespaceAndWorksFromAnyThread() throws Exception {
    try (TestNamespace ns = TestNamespace.create();
        ServerSocketChannel server = NetworkNamespaces.inside(ns.name(), ServerSocketChannel::open)) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();

      try (SocketChannel client = NetworkNamespaces.connect(ns.name(), new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(2));
          SocketChannel accepted = server.accept()) {
        client.write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer in = ByteBuffer.allocate(1);
        accepted.read(in);
        assertEquals(42, in.get(0));
      }
      // The same port on the host's own loopback is not the namespace's listener.
      try (SocketChannel host = SocketChannel.open()) {
        assertThrows(ConnectException.class, () -> host.connect(new InetSocketAddress("127.0.0.1", port)));
      }
    }
  }
}
