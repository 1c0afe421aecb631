package dev.kindling.proxy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/** A browser stand-in: a real Jetty WebSocket client that records what it receives. */
final class TestClient implements AutoCloseable {
  private final WebSocketClient client = new WebSocketClient();

  TestClient() throws Exception {
    client.setMaxFrameSize(8 << 20);
    client.setMaxBinaryMessageSize(8 << 20);
    client.setMaxTextMessageSize(8 << 20);
    client.setIdleTimeout(Duration.ofSeconds(30));
    client.start();
  }

  /** The close a connection ended with. */
  record Closed(int code, String reason) {}

  /** One connection; reads continuously unless created paused. */
  public static final class Connection implements Session.Listener {
    final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Closed> closed = new CompletableFuture<>();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong pongs = new AtomicLong();
    private final AtomicBoolean paused;
    private final StringBuilder text = new StringBuilder();
    private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    volatile Session session;
    private volatile boolean demandPending;

    Connection(boolean paused) {
      this.paused = new AtomicBoolean(paused);
    }

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
      demand();
    }

    private void demand() {
      if (paused.get()) {
        demandPending = true;
      } else {
        session.demand();
      }
    }

    /** Starts reading again after being created paused. */
    void resume() {
      paused.set(false);
      if (demandPending) {
        demandPending = false;
        session.demand();
      }
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      bytesReceived.addAndGet(payload.remaining());
      if (binary != null && binary.size() < (16 << 20)) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        binary.write(bytes, 0, bytes.length);
      }
      if (last) {
        received.add(binary.toByteArray());
        binary = new java.io.ByteArrayOutputStream();
      }
      callback.succeed();
      demand();
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean last) {
      text.append(payload);
      if (last) {
        received.add(text.toString());
        text.setLength(0);
      }
      demand();
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
      session.sendPong(payload, Callback.NOOP);
      demand();
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
      pongs.incrementAndGet();
      demand();
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      closed.complete(new Closed(code, reason));
      callback.succeed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      closed.complete(new Closed(1006, String.valueOf(cause)));
    }

    Object next() throws InterruptedException {
      Object value = received.poll(10, TimeUnit.SECONDS);
      if (value == null) {
        throw new AssertionError("nothing received within 10 s");
      }
      return value;
    }

    Closed awaitClose() throws Exception {
      return closed.get(15, TimeUnit.SECONDS);
    }

    void sendText(String text) throws Exception {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      session.sendText(text, Callback.from(() -> sent.complete(null), sent::completeExceptionally));
      sent.get(10, TimeUnit.SECONDS);
    }

    void sendBinary(byte[] bytes) throws Exception {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      session.sendBinary(
          ByteBuffer.wrap(bytes),
          Callback.from(() -> sent.complete(null), sent::completeExceptionally));
      sent.get(10, TimeUnit.SECONDS);
    }

    /** Sends {@code bytes} as one fragment of a binary message, the last one when {@code last}. */
    void sendFragment(byte[] bytes, boolean last) throws Exception {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      session.sendPartialBinary(
          ByteBuffer.wrap(bytes),
          last,
          Callback.from(() -> sent.complete(null), sent::completeExceptionally));
      sent.get(10, TimeUnit.SECONDS);
    }

    void sendPing(byte[] bytes) throws Exception {
      CompletableFuture<Void> sent = new CompletableFuture<>();
      session.sendPing(
          ByteBuffer.wrap(bytes),
          Callback.from(() -> sent.complete(null), sent::completeExceptionally));
      sent.get(10, TimeUnit.SECONDS);
    }

    String subprotocol() {
      return session.getUpgradeResponse().getAcceptedSubProtocol();
    }
  }

  Connection connect(
      URI uri, List<String> subprotocols, Map<String, String> headers, boolean paused)
      throws Exception {
    Connection connection = new Connection(paused);
    ClientUpgradeRequest request = new ClientUpgradeRequest(uri);
    if (!subprotocols.isEmpty()) {
      request.setSubProtocols(subprotocols);
    }
    headers.forEach(request::setHeader);
    client.connect(connection, request).get(15, TimeUnit.SECONDS);
    return connection;
  }

  Connection connect(URI uri) throws Exception {
    return connect(uri, List.of("binary"), Map.of(), false);
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
