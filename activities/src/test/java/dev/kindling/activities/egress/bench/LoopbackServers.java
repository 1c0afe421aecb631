package dev.kindling.activities.egress.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The "internet" of {@link EgressBench}: four servers on the host's 127.0.0.1, and nowhere else.
 *
 * <ul>
 *   <li>bulk: reads an op byte and a length; {@code D} sends that many bytes in 64 KiB writes,
 *       {@code U} reads that many and answers one byte; then waits for the client to close
 *   <li>echo: sends back every 64-byte message it reads
 *   <li>http: reads a request head, answers a tiny response with {@code Connection: close} and
 *       closes (one connection at a time, on its accept thread)
 *   <li>idle: accepts and holds connections, reading nothing
 * </ul>
 *
 * Connections are served on platform threads, the same way whichever path they came by.
 */
final class LoopbackServers implements AutoCloseable {
  static final int CHUNK = 64 * 1024;
  static final int MESSAGE = 64;
  static final byte[] HTTP_RESPONSE =
      ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
              + "Connection: close\r\n\r\nok")
          .getBytes(StandardCharsets.US_ASCII);
  private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");

  private final ServerSocket bulk;
  private final ServerSocket echo;
  private final ServerSocket http;
  private final ServerSocket idle;
  private final Queue<Socket> open = new ConcurrentLinkedQueue<>();
  private final AtomicInteger idleAccepted = new AtomicInteger();
  private final AtomicInteger httpServed = new AtomicInteger();

  private LoopbackServers() throws IOException {
    bulk = listen();
    echo = listen();
    http = listen();
    idle = listen();
  }

  static LoopbackServers start() throws IOException {
    LoopbackServers servers = new LoopbackServers();
    servers.acceptEach(servers.bulk, LoopbackServers::bulk);
    servers.acceptEach(servers.echo, LoopbackServers::echo);
    servers.acceptEach(servers.idle, null);
    Thread.ofPlatform().daemon().name("bench-http").start(servers::httpLoop);
    return servers;
  }

  int bulkPort() {
    return bulk.getLocalPort();
  }

  int echoPort() {
    return echo.getLocalPort();
  }

  int httpPort() {
    return http.getLocalPort();
  }

  int idlePort() {
    return idle.getLocalPort();
  }

  List<Integer> ports() {
    return List.of(bulkPort(), echoPort(), httpPort(), idlePort());
  }

  int idleAccepted() {
    return idleAccepted.get();
  }

  int httpServed() {
    return httpServed.get();
  }

  /** Closes the connections the idle server holds. */
  void dropIdle() {
    Socket socket;
    while ((socket = open.poll()) != null) {
      closeQuietly(socket);
    }
  }

  @Override
  public void close() {
    for (ServerSocket server : List.of(bulk, echo, http, idle)) {
      try {
        server.close();
      } catch (IOException e) {
        // Closing is all that is left to do.
      }
    }
    dropIdle();
  }

  private static ServerSocket listen() throws IOException {
    ServerSocket server = new ServerSocket();
    try {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(LOOPBACK, 0), 4096);
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private interface Handler {
    void serve(Socket socket) throws IOException;
  }

  /** One platform thread per connection; with no handler the connection is only held. */
  private void acceptEach(ServerSocket server, Handler handler) {
    Thread.ofPlatform()
        .daemon()
        .name("bench-accept-" + server.getLocalPort())
        .start(
            () -> {
              while (!server.isClosed()) {
                Socket socket;
                try {
                  socket = server.accept();
                  socket.setTcpNoDelay(true);
                } catch (IOException e) {
                  pause(server);
                  continue;
                }
                if (handler == null) {
                  open.add(socket);
                  idleAccepted.incrementAndGet();
                  continue;
                }
                Thread.ofPlatform()
                    .daemon()
                    .name("bench-conn")
                    .start(
                        () -> {
                          try (socket) {
                            handler.serve(socket);
                          } catch (IOException e) {
                            // The client went away; the benchmark notices on its side.
                          }
                        });
              }
            });
  }

  private static void bulk(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    OutputStream out = socket.getOutputStream();
    byte[] buffer = new byte[CHUNK];
    int op = in.read();
    long length = in.readLong();
    if (op == 'D') {
      for (long sent = 0; sent < length; sent += CHUNK) {
        out.write(buffer, 0, (int) Math.min(CHUNK, length - sent));
      }
    } else if (op == 'U') {
      long received = 0;
      while (received < length) {
        int n = in.read(buffer, 0, (int) Math.min(CHUNK, length - received));
        if (n < 0) {
          return;
        }
        received += n;
      }
      out.write(1);
    } else {
      return;
    }
    while (in.read(buffer) >= 0) {
      // Until the client closes.
    }
  }

  private static void echo(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    OutputStream out = socket.getOutputStream();
    byte[] message = new byte[MESSAGE];
    while (true) {
      int filled = 0;
      while (filled < MESSAGE) {
        int n = in.read(message, filled, MESSAGE - filled);
        if (n < 0) {
          return;
        }
        filled += n;
      }
      out.write(message);
    }
  }

  private void httpLoop() {
    byte[] buffer = new byte[16 * 1024];
    while (!http.isClosed()) {
      try (Socket socket = http.accept()) {
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        InputStream in = socket.getInputStream();
        int filled = 0;
        while (!headEnds(buffer, filled)) {
          int n = in.read(buffer, filled, buffer.length - filled);
          if (n < 0 || filled + n == buffer.length) {
            break;
          }
          filled += n;
        }
        if (headEnds(buffer, filled)) {
          socket.getOutputStream().write(HTTP_RESPONSE);
          httpServed.incrementAndGet();
        }
      } catch (IOException e) {
        // Closed, or a client that went away; the benchmark notices on its side.
        pause(http);
      }
    }
  }

  static boolean headEnds(byte[] buffer, int filled) {
    return filled >= 4
        && buffer[filled - 4] == '\r'
        && buffer[filled - 3] == '\n'
        && buffer[filled - 2] == '\r'
        && buffer[filled - 1] == '\n';
  }

  /** After a failed accept, so that a lasting failure (out of files) does not spin. */
  private static void pause(ServerSocket server) {
    if (!server.isClosed()) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that is left to do.
    }
  }
}
