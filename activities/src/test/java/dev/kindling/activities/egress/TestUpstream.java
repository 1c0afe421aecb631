package dev.kindling.activities.egress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A server on a loopback address that stands in for the outside, counting what reaches it. */
final class TestUpstream implements AutoCloseable {
  @FunctionalInterface
  interface Handler {
    void handle(TestUpstream upstream, Socket socket) throws IOException;
  }

  private final ServerSocket server;
  private final Handler handler;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong received = new AtomicLong();
  private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  private TestUpstream(InetAddress address, int port, Handler handler) throws IOException {
    this.server = new ServerSocket(port, 50, address);
    this.handler = handler;
    Thread.ofVirtual().name("test-upstream").start(this::acceptLoop);
  }

  /** Sends back every byte it receives. */
  static TestUpstream echo(InetAddress address) throws IOException {
    return echo(address, 0);
  }

  static TestUpstream echo(InetAddress address, int port) throws IOException {
    return new TestUpstream(
        address,
        port,
        (upstream, socket) -> {
          InputStream in = socket.getInputStream();
          OutputStream out = socket.getOutputStream();
          byte[] buffer = new byte[8192];
          for (int n; (n = in.read(buffer)) >= 0; ) {
            upstream.received.addAndGet(n);
            out.write(buffer, 0, n);
          }
        });
  }

  /** Takes every byte and never answers. */
  static TestUpstream sink(InetAddress address) throws IOException {
    return new TestUpstream(
        address,
        0,
        (upstream, socket) -> {
          byte[] buffer = new byte[8192];
          for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
            upstream.received.addAndGet(n);
          }
        });
  }

  /**
   * Reads one request (its head, and a body of its Content-Length), records it whole, answers
   * {@code response} and closes.
   */
  static TestUpstream http(InetAddress address, String response) throws IOException {
    return new TestUpstream(
        address,
        0,
        (upstream, socket) -> {
          InputStream in = socket.getInputStream();
          ByteArrayOutputStream request = new ByteArrayOutputStream();
          int contentLength = 0;
          String line;
          while ((line = line(in, request)) != null && !line.isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
              contentLength = Integer.parseInt(line.substring(15).strip());
            }
          }
          request.write(in.readNBytes(contentLength));
          upstream.requests.add(request.toString(StandardCharsets.ISO_8859_1));
          socket.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
        });
  }

  int port() {
    return server.getLocalPort();
  }

  int accepted() {
    return accepted.get();
  }

  long received() {
    return received.get();
  }

  /** The requests received so far, whole (HTTP only). */
  List<String> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(TestUpstream::closeQuietly);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        accepted.incrementAndGet();
        sockets.add(socket);
        Thread.ofVirtual()
            .start(
                () -> {
                  try (socket) {
                    handler.handle(this, socket);
                  } catch (IOException e) {
                    // The proxy closed it; that is what some tests are after.
                  } finally {
                    sockets.remove(socket);
                  }
                });
      } catch (IOException e) {
        return;
      }
    }
  }

  private static String line(InputStream in, ByteArrayOutputStream copy) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b; (b = in.read()) >= 0; ) {
      copy.write(b);
      if (b == '\n') {
        return line.toString().replaceFirst("\r$", "");
      }
      line.append((char) b);
    }
    return null;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing for the test's end.
    }
  }
}
