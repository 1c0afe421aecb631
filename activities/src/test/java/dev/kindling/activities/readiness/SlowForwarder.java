package dev.kindling.activities.readiness;

import dev.kindling.host.netns.NetworkNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Forwards {@code 0.0.0.0:port} to {@code 127.0.0.1:target} inside a namespace, holding back the
 * target's first answer on every connection for a while: a server that is only slow.
 */
final class SlowForwarder implements AutoCloseable {
  private final ServerSocketChannel server;
  private final List<SocketChannel> open = new ArrayList<>();

  private SlowForwarder(ServerSocketChannel server) {
    this.server = server;
  }

  static SlowForwarder start(String namespace, int port, int target, Duration delay)
      throws IOException {
    ServerSocketChannel server =
        NetworkNamespaces.inside(
            namespace,
            () -> {
              ServerSocketChannel s = ServerSocketChannel.open();
              s.bind(new InetSocketAddress("0.0.0.0", port));
              return s;
            });
    SlowForwarder forwarder = new SlowForwarder(server);
    Thread.ofVirtual()
        .name("slow-forwarder-accept")
        .start(() -> forwarder.acceptLoop(namespace, target, delay));
    return forwarder;
  }

  private void acceptLoop(String namespace, int target, Duration delay) {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        SocketChannel upstream;
        try {
          upstream =
              NetworkNamespaces.connect(
                  namespace, new InetSocketAddress("127.0.0.1", target), Duration.ofSeconds(1));
        } catch (IOException notListeningYet) {
          client.close();
          continue;
        }
        remember(client, upstream);
        Thread.ofVirtual().start(() -> pump(client, upstream, Duration.ZERO));
        Thread.ofVirtual().start(() -> pump(upstream, client, delay));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(SocketChannel from, SocketChannel to, Duration firstAnswerDelay) {
    ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    boolean first = true;
    try (from;
        to) {
      while (from.read(buffer) > 0) {
        if (first) {
          Thread.sleep(firstAnswerDelay);
          first = false;
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
          to.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException | InterruptedException e) {
      // Either side went away: closing both ends the other pump too.
    }
  }

  private synchronized void remember(SocketChannel... channels) {
    open.addAll(List.of(channels));
  }

  @Override
  public synchronized void close() throws IOException {
    server.close();
    for (SocketChannel channel : open) {
      channel.close();
    }
  }
}
