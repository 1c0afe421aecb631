package dev.kindling.proxy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * A browser stand-in: a real Jetty WebSocket client that records what it receives. A connection the
 * proxy accepts first goes through RFB as noVNC does (security None, ClientInit, ServerInit), so a
 * test starts where the relay starts; one the proxy closes at once is returned closed.
 */
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
    final java.util.concurrent.BlockingDeque<Object> received =
        new java.util.concurrent.LinkedBlockingDeque<>();

    /** The VM's ServerInit as the proxy passed it on, once the RFB handshake is done. */
    volatile byte[] serverInit;

    private volatile boolean handshaking = true;
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
      if (paused.get() && !handshaking) {
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

    /** noVNC's side of RFB: version 3.8, security None, shared ClientInit, ServerInit. */
    private void rfbHandshake() throws Exception {
      try {
        byte[] banner = read(12);
        if (banner == null) {
          return;
        }
        sendBinary("RFB 003.008\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] types = read(2);
        if (types == null) {
          return;
        }
        if (types[0] != 1 || types[1] != 1) {
          throw new AssertionError("the proxy offered security types other than None only");
        }
        sendBinary(new byte[] {1});
        if (read(4) == null) {
          return;
        }
        sendBinary(new byte[] {1});
        byte[] head = read(24);
        if (head == null) {
          return;
        }
        int nameLength = ByteBuffer.wrap(head, 20, 4).getInt();
        byte[] name = read(nameLength);
        if (name == null) {
          return;
        }
        byte[] init = new byte[24 + nameLength];
        System.arraycopy(head, 0, init, 0, 24);
        System.arraycopy(name, 0, init, 24, nameLength);
        serverInit = init;
      } finally {
        handshaking = false;
        bytesReceived.set(0);
      }
    }

    /** The next {@code n} binary bytes, or null when the connection closed first. */
    private byte[] read(int n) throws InterruptedException {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (bytes.size() < n) {
        Object item = received.poll(20, TimeUnit.MILLISECONDS);
        if (item == null) {
          if (closed.isDone()) {
            return null;
          }
          if (System.nanoTime() > deadline) {
            throw new AssertionError("the RFB handshake stalled after " + bytes.size() + " bytes");
          }
          continue;
        }
        if (item instanceof byte[] b) {
          int take = Math.min(b.length, n - bytes.size());
          bytes.write(b, 0, take);
          if (take < b.length) {
            received.addFirst(java.util.Arrays.copyOfRange(b, take, b.length));
          }
        }
      }
      return bytes.toByteArray();
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
    connection.rfbHandshake();
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
