package dev.kindling.activities.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.host.egress.Cidr;
import dev.kindling.host.netns.Links;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The proxy as a VM host runs it: listening inside a namespace that has nothing but its loopback,
 * and still reaching the host's side, because its outgoing sockets are made on its own threads.
 */
class EgressProxyNamespaceTest {
  private final String namespace =
      "kindling-egresstest" + UUID.randomUUID().toString().substring(0, 8);
  private boolean created;

  @AfterEach
  void deleteNamespace() throws IOException {
    if (created) {
      NetworkNamespaces.delete(namespace);
    }
  }

  @Test
  @RequiresHost(HostCapability.ROOT)
  void aGuestInsideANamespaceReachesAnAllowedUpstreamOnTheHost() throws Exception {
    try {
      NetworkNamespaces.create(namespace);
      created = true;
    } catch (IOException | RuntimeException e) {
      String reason = "network namespaces cannot be created here: " + e.getMessage();
      System.err.println("[kindling] " + getClass().getSimpleName() + " skipped: " + reason);
      Assumptions.abort(reason);
    }
    ServerSocket listener =
        NetworkNamespaces.inside(
            namespace,
            () -> {
              try (Links links = Links.open()) {
                links.up("lo");
              }
              return new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            });
    int proxyPort = listener.getLocalPort();
    MapResolver resolver = MapResolver.standard();
    AddressDenyList denyList =
        AddressDenyList.standard(List.of(), List.of(Cidr.parse("127.0.0.1/32")));

    try (TestUpstream echo = TestUpstream.echo(MapResolver.address(127, 0, 0, 1));
        EgressProxy proxy =
            new EgressProxy(
                denyList, resolver, EgressLimits.defaults(), new SimpleMeterRegistry())) {
      proxy.start(
          "vm-ns",
          "session-ns",
          EgressPolicy.parse(List.of("allowed.test:" + echo.port())),
          listener);

      // The upstream is on the host's loopback, which the namespace cannot reach by itself.
      assertThrows(
          ConnectException.class,
          () ->
              NetworkNamespaces.connect(
                      namespace,
                      new InetSocketAddress("127.0.0.1", echo.port()),
                      Duration.ofSeconds(5))
                  .close());

      Socket inside =
          NetworkNamespaces.connect(
                  namespace, new InetSocketAddress("127.0.0.1", proxyPort), Duration.ofSeconds(5))
              .socket();
      try (ProxyClient guest = new ProxyClient(inside)) {
        guest.send("CONNECT allowed.test:" + echo.port() + " HTTP/1.1\r\n\r\n");
        assertEquals(200, guest.response().status());
        guest.send("through");
        assertEquals("through", guest.readExactly(7));
      }
      Await.until("the upstream to accept", Duration.ofSeconds(10), echo::accepted, n -> n == 1);
    }
  }
}
