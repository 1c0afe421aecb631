package dev.kindling.proxy;

import dev.kindling.host.netns.NetworkNamespaces;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A stand-in for a VM's websockify and VNC server: a real Jetty WebSocket server. On {@code
 * /websockify} it first plays the VNC server's side of an RFB handshake, with VNC authentication
 * against {@link #password} (as x11vnc does in a VM), then echoes every frame, records the bytes it
 * got, and obeys text commands ("close CODE REASON", "drop", "stall", "flood BYTES"); {@code
 * /silent} accepts and never reads. Other paths refuse the upgrade with 404.
 */
final class EchoUpstream implements AutoCloseable {
  static final String PATH = "/websockify";
  static final int FLOOD_FRAME = 64 * 1024;

  final AtomicInteger upgrades = new AtomicInteger();
  final List<List<String>> offeredSubprotocols = new CopyOnWriteArrayList<>();
  final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
  final AtomicLong floodSent = new AtomicLong();

  /** The VNC password the server expects ({@link ProxyFixture}'s passwords give this one). */
  volatile String password = ProxyFixture.PASSWORD;

  final AtomicInteger authenticated = new AtomicInteger();
  final AtomicInteger refusedPasswords = new AtomicInteger();

  /** What every connection sent after its handshake (binary payload bytes), in arrival order. */
  final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();

  private final Server server;
  private final ServerConnector connector;

  private EchoUpstream(String host, String namespace) throws Exception {
    server = new Server();
    connector = new ServerConnector(server, 1, 1);
    connector.setHost(host);
    connector.setPort(0);
    server.addConnector(connector);
    ContextHandler context = new ContextHandler("/");
    context.setHandler(
        WebSocketUpgradeHandler.from(
            server,
            context,
            container -> {
              container.setMaxFrameSize(8 << 20);
              container.setMaxBinaryMessageSize(8 << 20);
              container.setMaxTextMessageSize(8 << 20);
              container.addMapping(
                  PATH,
                  (rq, rs, cb) -> {
                    upgrades.incrementAndGet();
                    offeredSubprotocols.add(List.copyOf(rq.getSubProtocols()));
                    if (rq.hasSubProtocol("binary")) {
                      rs.setAcceptedSubProtocol("binary");
                    }
                    return new Echo();
                  });
              container.addMapping(
                  "/silent",
                  (rq, rs, cb) -> {
                    upgrades.incrementAndGet();
                    return new Silent();
                  });
            }));
    server.setHandler(context);
    if (namespace != null) {
      // The listening socket is created inside the namespace, so only that namespace can reach it.
      NetworkNamespaces.inside(
          namespace,
          () -> {
            connector.open();
            return null;
          });
    }
    server.start();
  }

  static EchoUpstream onLoopback() throws Exception {
    return new EchoUpstream("127.0.0.1", null);
  }

  static EchoUpstream inNamespace(String namespace, String address) throws Exception {
    return new EchoUpstream(address, namespace);
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  public final class Echo implements Session.Listener {
    private Session session;
    private final FakeVncServer rfb = new FakeVncServer(password);

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
      session.sendBinary(ByteBuffer.wrap(rfb.banner()), Callback.NOOP);
      session.demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      if (!rfb.done()) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        FakeVncServer.Step step = rfb.offer(bytes);
        if (step.reply().length > 0) {
          session.sendBinary(ByteBuffer.wrap(step.reply()), Callback.NOOP);
        }
        if (step.refused()) {
          refusedPasswords.incrementAndGet();
        } else if (rfb.done()) {
          authenticated.incrementAndGet();
        }
        callback.succeed();
        if (step.rest().length == 0) {
          session.demand();
          return;
        }
        payload = ByteBuffer.wrap(step.rest());
        callback = Callback.NOOP;
      }
      synchronized (received) {
        if (received.size() < (1 << 20)) {
          byte[] copy = new byte[payload.remaining()];
          payload.duplicate().get(copy);
          received.writeBytes(copy);
        }
      }
      Callback done = callback;
      session.sendPartialBinary(
          payload,
          last,
          Callback.from(
              () -> {
                done.succeed();
                session.demand();
              },
              done::fail));
    }

    @Override
    public void onWebSocketText(String text) {
      String[] words = text.split(" ", 3);
      switch (words[0]) {
        case "close" ->
            session.close(
                Integer.parseInt(words[1]), words.length > 2 ? words[2] : "", Callback.NOOP);
        case "drop" -> session.disconnect();
        case "stall" -> {
          // Never reads again: a VM whose VNC server stopped reading.
        }
        case "flood" -> flood(Long.parseLong(words[1]));
        default -> session.sendText(text, Callback.from(session::demand, t -> {}));
      }
    }

    private void flood(long remaining) {
      if (remaining <= 0) {
        session.demand();
        return;
      }
      int size = (int) Math.min(FLOOD_FRAME, remaining);
      session.sendBinary(
          ByteBuffer.allocate(size),
          Callback.from(
              () -> {
                floodSent.addAndGet(size);
                flood(remaining - size);
              },
              t -> {}));
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
      session.sendPong(payload, Callback.from(session::demand, t -> {}));
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
      session.demand();
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      closeCodes.add(code);
      callback.succeed();
    }
  }

  /** Accepts and never reads: a VM that stopped reading. */
  public final class Silent implements Session.Listener {
    @Override
    public void onWebSocketOpen(Session session) {
      // Never demands: nothing is read after the upgrade.
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      // Holds the frame: its callback never completes, so nothing more is read.
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      closeCodes.add(code);
      callback.succeed();
    }
  }
}
