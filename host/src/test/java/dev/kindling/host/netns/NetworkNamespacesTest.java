package dev.kindling.host.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.exec.Commands;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.host.testing.TestNamespace;
import dev.kindling.workflows.InvalidInputException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
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
        ServerSocketChannel server =
            NetworkNamespaces.inside(ns.name(), ServerSocketChannel::open)) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();

      try (SocketChannel client =
              NetworkNamespaces.connect(
                  ns.name(), new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(2));
          SocketChannel accepted = server.accept()) {
        client.write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer in = ByteBuffer.allocate(1);
        accepted.read(in);
        assertEquals(42, in.get(0));
      }
      // The same port on the host's own loopback is not the namespace's listener.
      try (SocketChannel host = SocketChannel.open()) {
        assertThrows(
            ConnectException.class, () -> host.connect(new InetSocketAddress("127.0.0.1", port)));
      }
    }
  }

  @Test
  @RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
  void createsANamespaceThatIpSeesAndDeletesIt() throws Exception {
    String name = "kindling-t" + UUID.randomUUID().toString().substring(0, 8);
    try {
      NetworkNamespaces.create(name);
      assertTrue(NetworkNamespaces.exists(name));
      assertTrue(Commands.check("ip", "netns", "list").contains(name), "listed by ip netns");
      String links = Commands.check("ip", "-n", name, "-o", "link", "show");
      assertTrue(
          links.contains(": lo:") && links.lines().count() == 1,
          "a new namespace holds only its loopback: " + links);
      assertThrows(FileAlreadyExistsException.class, () -> NetworkNamespaces.create(name));

      assertTrue(NetworkNamespaces.delete(name));
      assertFalse(NetworkNamespaces.exists(name));
      assertFalse(Commands.check("ip", "netns", "list").contains(name));
      assertFalse(NetworkNamespaces.delete(name), "deleting it again finds nothing");
    } finally {
      Commands.run(List.of("ip", "netns", "delete", name));
    }
  }

  @Test
  @RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
  void deletesNamespacesMadeByIpAndNamesLeftByAnInterruptedCreate() throws Exception {
    try (TestNamespace made = TestNamespace.create()) {
      assertTrue(NetworkNamespaces.delete(made.name()));
      assertFalse(Commands.check("ip", "netns", "list").contains(made.name()));
    }
    String stale = "kindling-t" + UUID.randomUUID().toString().substring(0, 8);
    Files.createFile(NetworkNamespaces.path(stale));
    try {
      assertTrue(NetworkNamespaces.delete(stale));
      assertFalse(Files.exists(NetworkNamespaces.path(stale)));
    } finally {
      Files.deleteIfExists(NetworkNamespaces.path(stale));
    }
  }
}
