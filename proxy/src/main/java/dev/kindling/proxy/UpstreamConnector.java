package dev.kindling.proxy;

import static dev.kindling.host.websocket.WebSocketFrames.acceptFor;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpUpgrader;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;

/** Opens WebSocket connections to VM websockify servers, each only where its route says. */
final class UpstreamConnector implements AutoCloseable {
  /** websockify speaks raw binary RFB under this subprotocol. */
  static final String BINARY = "binary";

  private final ProxyConfig config;
  private final RoutedHttpClient http;
  private final SpareDescriptor spare;

  /**
   * A connector sharing the proxy server's threads, scheduler and buffers; the server owns them, so
   * the client only uses them. Start it by adding {@link #lifeCycle()} to the server as a bean.
   */
  UpstreamConnector(
      ProxyConfig config,
      Executor executor,
      Scheduler scheduler,
      ByteBufferPool buffers,
      SpareDescriptor spare) {
    this.config = config;
    this.spare = spare;
    // The relay runs on the threads that notice a socket is ready, so the VM side gets as many of
    // them as Jetty gives the browser side.
    http = new RoutedHttpClient(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    http.setExecutor(executor);
    http.setScheduler(scheduler);
    http.setByteBufferPool(buffers);
    http.setConnectTimeout(config.upstreamConnectTimeout().toMillis());
    http.setMaxConnectionsPerDestination(1 << 16);
    http.setMaxRequestsQueuedPerDestination(1 << 16);
    // One destination per VM; forget a VM's destination a minute after its last connection.
    http.setDestinationIdleTimeout(60_000);
    http.setFollowRedirects(false);
  }

  LifeCycle lifeCycle() {
    return http;
  }

  /** Jetty's own idle timeout is a backstop behind the relay's, which ignores pings. */
  static Duration jettyIdleTimeout(ProxyConfig config) {
    return config.idleTimeout().plus(config.pingInterval().multipliedBy(2));
  }

  /** Makes the connection that takes over a socket to a VM once its WebSocket handshake is done. */
  @FunctionalInterface
  interface ConnectionFactory {
    Connection newConnection(EndPoint endPoint, Executor executor, ByteBufferPool buffers);
  }

  /**
   * Connects to {@code upstream} and performs the WebSocket handshake, offering the {@code binary}
   * subprotocol; the socket then belongs to the connection {@code connections} makes. Completes
   * when that connection is installed, or with the reason it could not be.
   */
  CompletableFuture<Void> connect(
      Upstream upstream, ConnectionFactory connections, Duration timeout) {
    CompletableFuture<Void> upgraded = new CompletableFuture<>();
    URI uri = URI.create(upstream.uri().toString().replaceFirst("^ws:", "http:"));
    try {
      String key = WebSocketFrames.newKey();
      Request request =
          http.newRequest(uri)
              .transport(transportFor(upstream))
              .method(HttpMethod.GET)
              .version(HttpVersion.HTTP_1_1)
              .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .headers(
                  h ->
                      h.put(HttpHeader.UPGRADE, "websocket")
                          .put(HttpHeader.CONNECTION, "Upgrade")
                          .put(HttpHeader.SEC_WEBSOCKET_KEY, key)
                          .put(HttpHeader.SEC_WEBSOCKET_VERSION, "13")
                          .put(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, BINARY))
              .attribute(
                  HttpUpgrader.Factory.class.getName(),
                  (HttpUpgrader.Factory) version -> new Upgrader(key, connections, upgraded));
      // A caller that gives up (a timeout) aborts the handshake.
      upgraded.whenComplete(
          (ok, failure) -> {
            if (failure != null) {
              request.abort(failure);
            }
          });
      request.send(
          result -> {
            if (result.isFailed()) {
              Throwable failure = result.getFailure();
              int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
              upgraded.completeExceptionally(
                  failure instanceof IOException || failure instanceof UpgradeException
                      ? failure
                      : new UpgradeException(
                          upstream.uri(), status, "WebSocket handshake failed", failure));
            } else if (result.getResponse().getStatus() != HttpStatus.SWITCHING_PROTOCOLS_101) {
              upgraded.completeExceptionally(
                  new UpgradeException(
                      upstream.uri(),
                      result.getResponse().getStatus(),
                      "WebSocket handshake refused: "
                          + result.getResponse().getStatus()
                          + " "
                          + result.getResponse().getReason()));
            }
          });
    } catch (RuntimeException e) {
      upgraded.completeExceptionally(e);
    }
    return upgraded;
  }

  /** Checks the VM's 101 answer and hands the socket over. */
  private final class Upgrader implements HttpUpgrader {
    private final String key;
    private final ConnectionFactory connections;
    private final CompletableFuture<Void> upgraded;

    Upgrader(String key, ConnectionFactory connections, CompletableFuture<Void> upgraded) {
      this.key = key;
      this.connections = connections;
      this.upgraded = upgraded;
    }

    @Override
    public void prepare(Request request) {
      // The request already carries the handshake's headers.
    }

    @Override
    public void upgrade(
        Response response, EndPoint endPoint, org.eclipse.jetty.util.Callback callback) {
      HttpFields headers = response.getHeaders();
      String subprotocol = headers.get(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL);
      String problem =
          !headers.contains(HttpHeader.CONNECTION, "upgrade")
              ? "no Connection: Upgrade"
              : !acceptFor(key).equals(headers.get(HttpHeader.SEC_WEBSOCKET_ACCEPT))
                  ? "wrong Sec-WebSocket-Accept"
                  : headers.get(HttpHeader.SEC_WEBSOCKET_EXTENSIONS) != null
                      ? "an extension nobody asked for"
                      : subprotocol != null && !subprotocol.equals(BINARY)
                          ? "subprotocol " + subprotocol + " was not offered"
                          : null;
      if (problem != null) {
        callback.failed(
            new UpgradeException(
                response.getRequest().getURI(),
                response.getStatus(),
                "WebSocket handshake invalid: " + problem));
        return;
      }
      endPoint.upgrade(
          connections.newConnection(endPoint, http.getExecutor(), http.getByteBufferPool()));
      callback.succeeded();
      upgraded.complete(null);
    }
  }

  private Transport transportFor(Upstream upstream) {
    return switch (upstream) {
      case NamespacedUpstream n -> new NamespaceTransport(n.namespace(), n.socketAddress(), spare);
      case LoopbackUpstream l -> {
        if (!config.allowLoopbackUpstreams()) {
          throw new IllegalStateException(
              "route names a loopback upstream but loopback upstreams are not allowed");
        }
        yield new FixedAddressTransport(
            new java.net.InetSocketAddress("127.0.0.1", l.port()), spare);
      }
    };
  }

  /** Which outcome a failed upstream connection means for the browser. */
  static CloseOutcome classify(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
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
      if (c instanceof ConnectException
          || c instanceof NoRouteToHostException
          || c instanceof SocketTimeoutException
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
    return upgradeFailed ? CloseOutcome.UPSTREAM_HANDSHAKE_FAILED : CloseOutcome.VM_UNREACHABLE;
  }

  /**
   * The HTTP status of a failed upgrade, 0 when none was received, -1 when not an upgrade failure.
   */
  private static int upgradeStatus(Throwable t) {
    if (t instanceof UpgradeException u) {
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
    http.stop();
  }
}
