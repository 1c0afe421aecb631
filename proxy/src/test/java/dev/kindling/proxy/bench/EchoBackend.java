package dev.kindling.proxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * The backend both relays talk to, on loopback: a WebSocket echo (what the Kindling proxy relays
 * to, as it would to a VM's websockify) and a plain TCP echo (what websockify relays to, as it
 * would to x11vnc).
 */
final class EchoBackend implements AutoCloseable {
  static final String PATH = "/websockify";

  private final Server server;
  private final ServerConnector connector;
  private final ServerSocketChannel tcp;
  private final ExecutorService tcpThreads = Executors.newVirtualThreadPerTaskExecutor();

  EchoBackend() throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("echo-backend");
    server = new Server(threads, null, BenchBuffers.pool());
    connector = new ServerConnector(server, 1, 1);
    connector.setHost("127.0.0.1");
    connector.setAcceptQueueSize(4096);
    server.addConnector(connector);
    ContextHandler context = new ContextHandler("/");
    context.setHandler(WebSocketUpgradeHandler.from(server, context, container -> {
      container.setMaxFrameSize(8 << 20);
      container.setMaxBinaryMessageSize(8 << 20);
      container.setInputBufferSize(BenchBuffers.READ_BYTES);
      container.setOutputBufferSize(BenchBuffers.READ_BYTES);
      container.setIdleTimeout(java.time.Duration.ofHours(1));
      container.addMapping(PATH, (rq, rs, cb) -> {
        if (rq.hasSubProtocol("binary")) {
          rs.setAcceptedSubProtocol("binary");
        }
        return new Echo();
      });
    }));
    server.setHandler(context);
    server.start();

    tcp = ServerSocketChannel.open();
    tcp.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
    Thread.ofVirtual().name("tcp-echo-accept").start(this::acceptTcp);
  }

  int webSocketPort() {
    return connector.getLocalPort();
  }

  int tcpPort() throws IOException {
    return ((InetSocketAddress) tcp.getLocalAddress()).getPort();
  }

  private void acceptTcp() {
    while (tcp.isOpen()) {
      try {
        SocketChannel channel = tcp.accept();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        tcpThreads.execute(() -> echo(channel));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void echo(SocketChannel channel) {
    try (channel) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException e) {
      // The peer went away.
    }
  }

  @Override
  public void close() throws Exception {
    tcp.close();
    tcpThreads.shutdownNow();
    server.stop();
  }

  /** Echoes every frame back, reading the next only once the echo is written. */
  public static final class Echo implements Session.Listener {
    private Session session;

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
      session.demand();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      session.sendPartialBinary(payload, last, Callback.from(() -> {
        callback.succeed();
        session.demand();
      }, callback::fail));
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
    public void onWebSocketError(Throwable cause) {
      // Clients drop their connections at the end of each phase.
    }
  }
}
