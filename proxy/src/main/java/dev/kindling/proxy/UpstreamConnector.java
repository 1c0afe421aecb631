package dev.kindling.proxy;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/** Opens WebSocket connections to VM websockify servers, each only where its route says. */
final class UpstreamConnector implements AutoCloseable {
  /** websockify speaks raw binary RFB under this subprotocol. */
  static final String BINARY = "binary";

  /**
   * How much one read takes from a socket, and so the largest piece of a frame relayed at once.
   * Jetty's default of 4 KiB cut a 64 KiB framebuffer update into 16 reads, writes and demands;
   * the buffer is only held while a connection has unread data, so idle connections do not pay.
   */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  private final WebSocketClient client;
  private final boolean allowLoopback;

  /**
   * A connector sharing the proxy server's threads, scheduler and buffers; the server owns them,
   * so the client only uses them. Start it by adding {@link #lifeCycle()} to the server as a bean.
   */
  UpstreamConnector(ProxyConfig config, Executor executor, Scheduler scheduler, ByteBufferPool buffers) {
    this.allowLoopback = config.allowLoopbackUpstreams();
    RoutedHttpClient http = new RoutedHttpClient();
    http.setExecutor(executor);
    http.setScheduler(scheduler);
    http.setByteBufferPool(buffers);
    http.setConnectTimeout(config.upstreamConnectTimeout().toMillis());
    http.setMaxConnectionsPerDestination(1 << 16);
    http.setMaxRequestsQueuedPerDestination(1 << 16);
    // One destination per VM; forget a VM's destination a minute after its last connection.
    http.setDestinationIdleTimeout(60_000);
    http.setFollowRedirects(false);
    client = new WebSocketClient(http);
    client.setMaxFrameSize(config.maxFrameBytes());
    client.setMaxBinaryMessageSize(config.maxFrameBytes());
    client.setMaxTextMessageSize(config.maxFrameBytes());
    client.setIdleTimeout(jettyIdleTimeout(config));
    client.setMaxOutgoingFrames(64);
    client.setInputBufferSize(READ_BUFFER_BYTES);
    // Frames to the VM must be masked, which Jetty does while copying into its output buffer;
    // a 4 KiB buffer cut every 64 KiB frame into 16 writes.
    client.setOutputBufferSize(READ_BUFFER_BYTES);
    client.setStopAtShutdown(false);
  }

  LifeCycle lifeCycle() {
    return client;
  }

  /** Jetty's own idle timeout is a backstop behind the relay's, which ignores pings. */
  static Duration jettyIdleTimeout(ProxyConfig config) {
    return config.idleTimeout().plus(config.pingInterval().multipliedBy(2));
  }

  /** Connects and upgrades to {@code upstream}, offering the {@code binary} subprotocol. */
  CompletableFuture<Session> connect(Upstream upstream, Session.Listener listener, Duration timeout) {
    ClientUpgradeRequest request = new ClientUpgradeRequest(upstream.uri());
    request.setSubProtocols(BINARY);
    request.setTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      return RoutedHttpClient.withTransport(transportFor(upstream), () -> client.connect(listener, request));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Transport transportFor(Upstream upstream) {
    return switch (upstream) {
      case NamespacedUpstream n -> new NamespaceTransport(n.namespace(), n.socketAddress());
      case LoopbackUpstream l -> {
        if (!allowLoopback) {
          throw new IllegalStateException("route names a loopback upstream but loopback upstreams are not allowed");
        }
        yield new FixedAddressTransport(new java.net.InetSocketAddress("127.0.0.1", l.port()));
      }
    };
  }

  /** Which outcome a failed upstream connection means for the browser. */
  static CloseOutcome classify(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (DescriptorExhaustion.causedBy(t)) {
      // The proxy could not open the socket: a capacity problem of this process, not the VM's.
      return CloseOutcome.PROXY_FULL;
    }
    boolean upgradeFailed = false;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (upgradeStatus(c) > 0) {
        return CloseOutcome.UPSTREAM_HANDSHAKE_FAILED;
      }
      if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof SocketTimeoutException
          || c instanceof TimeoutException) {
        return CloseOutcome.VM_UNREACHABLE;
      }
      if (c instanceof IllegalStateException) {
        return CloseOutcome.INTERNAL_ERROR;
      }
      upgradeFailed |= upgradeStatus(c) >= 0;
    }
    // A connection that was made and then dropped during the upgrade is a handshake failure;
    // anything else (e.g. the namespace is gone) means the VM could not be reached.
    return upgradeFailed
        ? CloseOutcome.UPSTREAM_HANDSHAKE_FAILED
        : CloseOutcome.VM_UNREACHABLE;
  }

  /** The HTTP status of a failed upgrade, 0 when none was received, -1 when not an upgrade failure. */
  private static int upgradeStatus(Throwable t) {
    if (t instanceof UpgradeException u) {
      return Math.max(0, u.getResponseStatusCode());
    }
    if (t instanceof org.eclipse.jetty.websocket.core.exception.UpgradeException u) {
      return Math.max(0, u.getResponseStatusCode());
    }
    return -1;
  }

  /** The innermost message of a failure, for logs and close-reason details. */
  static String describe(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
