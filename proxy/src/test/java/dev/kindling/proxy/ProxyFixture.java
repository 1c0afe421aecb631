package dev.kindling.proxy;

import dev.kindling.host.exec.Commands;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.TestNamespace;
import dev.kindling.workflows.host.GuestNetwork;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A proxy on an ephemeral port in front of an echo upstream. Where the host allows it ({@link
 * HostCapability#NETNS}) the upstream listens inside a throwaway network namespace at the guest
 * address, so every relay goes through the namespace transport; elsewhere it listens on loopback,
 * and the run says so.
 */
final class ProxyFixture implements AutoCloseable {
  static final byte[] KEY =
      "kindling-proxy-test-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  static final String SESSION = "s-1";
  static final String VM = "vm0123456789";

  /** The VNC password the proxy reads for {@link #VM} (on a real host: from its run directory). */
  static final String PASSWORD = "pw-" + VM;

  final TestNamespace namespace;
  final EchoUpstream upstream;
  final StaticRoutes routes = new StaticRoutes();
  final ProxyServer proxy;
  final TestClient client;
  final SessionTokens tokens = new SessionTokens(KEY);
  final RecordedActivity activity = new RecordedActivity();

  private ProxyFixture(UnaryOperator<ProxyConfig.Builder> tweak) throws Exception {
    namespace = namespacesAvailable() ? TestNamespace.create() : null;
    try {
      if (namespace != null) {
        Commands.check(
            "ip",
            "-n",
            namespace.name(),
            "addr",
            "add",
            GuestNetwork.GUEST_ADDRESS + "/32",
            "dev",
            "lo");
        upstream = EchoUpstream.inNamespace(namespace.name(), GuestNetwork.GUEST_ADDRESS);
      } else {
        upstream = EchoUpstream.onLoopback();
      }
      routes.put(SESSION, route(EchoUpstream.PATH));
      ProxyConfig.Builder builder =
          ProxyConfig.builder()
              .port(0)
              .tokenKey(KEY)
              .allowLoopbackUpstreams(namespace == null)
              .upstreamConnectTimeout(Duration.ofSeconds(3));
      proxy =
          ProxyServer.start(
              tweak.apply(builder).build(),
              routes,
              vmId -> VM.equals(vmId) ? Optional.of(PASSWORD) : Optional.empty(),
              activity);
      client = new TestClient();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  static ProxyFixture start() throws Exception {
    return new ProxyFixture(b -> b);
  }

  static ProxyFixture start(UnaryOperator<ProxyConfig.Builder> tweak) throws Exception {
    return new ProxyFixture(tweak);
  }

  /**
   * True where the upstream can sit in a namespace; elsewhere the fixture says once that its relays
   * go over loopback, so a run without namespaces does not pass for one with them.
   */
  static boolean namespacesAvailable() {
    List<HostCapability> missing =
        HostCapability.NETNS.stream().filter(capability -> !capability.present()).toList();
    if (!missing.isEmpty() && LOOPBACK_NOTICE.compareAndSet(false, true)) {
      System.err.println(
          "[kindling] proxy tests relay over loopback, not through a network namespace: this host lacks "
              + missing.stream().map(HostCapability::description).toList());
    }
    return missing.isEmpty();
  }

  private static final java.util.concurrent.atomic.AtomicBoolean LOOPBACK_NOTICE =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** A route to the echo upstream's {@code path}, inside the namespace when there is one. */
  Route route(String path) {
    return route(path, upstream.port());
  }

  Route route(String path, int port) {
    Upstream target =
        namespace != null
            ? new NamespacedUpstream(namespace.name(), GuestNetwork.GUEST_ADDRESS, port, path)
            : new LoopbackUpstream(port, path);
    return new Route(SESSION, VM, target);
  }

  URI websocket(String sessionId, String token) {
    String query =
        token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    return URI.create(
        "ws://127.0.0.1:" + proxy.port() + "/sessions/" + sessionId + "/websockify" + query);
  }

  URI websocket(String sessionId) {
    return websocket(sessionId, tokens.mint(sessionId));
  }

  /** A link that only watches. */
  URI viewWebsocket(String sessionId) {
    return websocket(sessionId, tokens.mint(sessionId, Duration.ofMinutes(5), Scope.VIEW));
  }

  URI http(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + proxy.port() + pathAndQuery);
  }

  @Override
  public void close() throws Exception {
    try {
      if (client != null) {
        client.close();
      }
      if (proxy != null) {
        proxy.close();
      }
      if (upstream != null) {
        upstream.close();
      }
    } finally {
      if (namespace != null) {
        namespace.close();
      }
    }
  }
}
