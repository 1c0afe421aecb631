package dev.kindling.proxy.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/** The idle phase's load side: one Jetty WebSocket client that opens many idle connections. */
final class BenchClient implements AutoCloseable {
  private static final Duration RFB_HANDSHAKE_LIMIT = Duration.ofSeconds(30);

  private final WebSocketClient client;

  BenchClient() throws Exception {
    HttpClient http = new HttpClient();
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("bench-client");
    http.setExecutor(threads);
    http.setMaxConnectionsPerDestination(1 << 16);
    http.setMaxRequestsQueuedPerDestination(1 << 16);
    http.setConnectTimeout(10_000);
    client = new WebSocketClient(http);
    client.setMaxFrameSize(8 << 20);
    client.setMaxBinaryMessageSize(8 << 20);
    client.setIdleTimeout(Duration.ofHours(1));
    client.start();
  }

  /** Holds a connection open and does nothing. */
  public static final class Idle implements Session.Listener.AutoDemanding {
    @Override
    public void onWebSocketError(Throwable cause) {
      // Connections are dropped at the end of each phase.
    }
  }

  /**
   * Does noVNC's side of the proxy's RFB handshake, then holds the connection open and does
   * nothing; {@link #ready} completes once ServerInit has arrived.
   */
  public static final class RfbIdle implements Session.Listener.AutoDemanding {
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private NoVncHandshake handshake = new NoVncHandshake();
    private volatile Session session;

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
      if (handshake != null) {
        try {
          for (byte[] answer : handshake.receive(payload)) {
            session.sendBinary(ByteBuffer.wrap(answer), Callback.NOOP);
          }
          if (handshake.done()) {
            handshake = null;
            ready.complete(null);
          }
        } catch (IOException e) {
          ready.completeExceptionally(e);
        }
      }
      callback.succeed();
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      ready.completeExceptionally(
          new IOException("closed during the RFB handshake: " + code + " " + reason));
      callback.succeed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      ready.completeExceptionally(cause);
    }
  }

  /** The result of opening many idle connections. */
  record IdleResult(int opened, String stoppedBecause, List<Session> sessions) {}

  /**
   * Opens up to {@code max} idle connections, {@code concurrency} at a time, for at most {@code
   * limit}. With {@code throughProxy}, a connection counts once its RFB handshake is done.
   */
  IdleResult openIdle(
      IntFunction<URI> uris, boolean throughProxy, int max, int concurrency, Duration limit)
      throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    List<Session> sessions = java.util.Collections.synchronizedList(new ArrayList<>(max));
    AtomicReference<String> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + limit.toNanos();
    int started = 0;
    while (started < max && failure.get() == null && System.nanoTime() < deadline) {
      if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      ClientUpgradeRequest request = new ClientUpgradeRequest(uris.apply(started));
      request.setSubProtocols("binary");
      CompletableFuture<Session> future;
      try {
        future = throughProxy ? connectWithRfb(request) : client.connect(new Idle(), request);
      } catch (Exception e) {
        failure.compareAndSet(null, e.toString());
        break;
      }
      started++;
      future.whenComplete(
          (session, error) -> {
            if (error != null) {
              failure.compareAndSet(null, String.valueOf(error));
            } else {
              sessions.add(session);
            }
            slots.release();
          });
    }
    slots.acquire(concurrency);
    String why =
        failure.get() != null
            ? "failure: " + failure.get()
            : sessions.size() >= max
                ? "reached the cap of " + max
                : "time limit of " + limit.toSeconds() + " s";
    return new IdleResult(sessions.size(), why, sessions);
  }

  /** Connects, then completes once noVNC's side of the RFB handshake is done. */
  private CompletableFuture<Session> connectWithRfb(ClientUpgradeRequest request)
      throws IOException {
    RfbIdle listener = new RfbIdle();
    return client
        .connect(listener, request)
        .thenCompose(
            session ->
                listener
                    .ready
                    .orTimeout(RFB_HANDSHAKE_LIMIT.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete(
                        (done, error) -> {
                          if (error != null) {
                            session.close();
                          }
                        })
                    .thenApply(done -> session));
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
