package dev.kindling.worker.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The "internet" of egress tests, on this host's loopback only: an HTTP server on 127.0.0.1 (a
 * greeting, a page, and a report sink), a TCP echo server on 127.0.0.1, and a server on 127.0.0.2
 * at the HTTP port that only counts connections: a name resolving there must never be reached.
 */
final class TestInternet implements AutoCloseable {
  static final String GREETING = "hello from the test internet";

  /** The page's colour, which a screenshot looks for. */
  static final int PAGE_COLOUR = 0x1e8449;

  private final HttpServer http;
  private final ServerSocket echo;
  private final ServerSocket forbidden;
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private final AtomicInteger forbiddenAccepts = new AtomicInteger();

  private TestInternet(HttpServer http, ServerSocket echo, ServerSocket forbidden) {
    this.http = http;
    this.echo = echo;
    this.forbidden = forbidden;
  }

  static TestInternet start() throws IOException {
    InetAddress loopback = InetAddress.ofLiteral("127.0.0.1");
    HttpServer http = HttpServer.create(new InetSocketAddress(loopback, 0), 16);
    ServerSocket echo = new ServerSocket(0, 16, loopback);
    ServerSocket forbidden =
        new ServerSocket(http.getAddress().getPort(), 16, InetAddress.ofLiteral("127.0.0.2"));
    TestInternet internet = new TestInternet(http, echo, forbidden);
    http.createContext("/", internet::serve);
    http.start();
    Thread.ofVirtual().name("test-internet-echo").start(internet::echoLoop);
    Thread.ofVirtual().name("test-internet-forbidden").start(internet::countLoop);
    return internet;
  }

  int httpPort() {
    return http.getAddress().getPort();
  }

  int echoPort() {
    return echo.getLocalPort();
  }

  List<String> reports() {
    return List.copyOf(reports);
  }

  List<String> paths() {
    return List.copyOf(paths);
  }

  int forbiddenAccepts() {
    return forbiddenAccepts.get();
  }

  /**
   * The page a browser session opens: the page colour, and a frame asking for a name the session
   * may not reach, which shows the egress proxy's refusal.
   */
  static String page(String deniedUrl) {
    return "<!doctype html><html><head><title>egress</title></head>"
        + "<body style=\"margin:0;overflow:hidden;background:#"
        + String.format("%06x", PAGE_COLOUR)
        + "\"><h1 style=\"color:#fff;font:48px sans-serif;margin:40px\">"
        + "Reached through the egress proxy</h1>"
        + "<iframe src=\""
        + deniedUrl
        + "\" style=\"width:900px;height:260px;margin:0 40px;background:#fff;border:0\">"
        + "</iframe></body></html>";
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      paths.add(path);
      byte[] body;
      String type = "text/plain; charset=utf-8";
      switch (path) {
        case "/hello" -> body = GREETING.getBytes(StandardCharsets.UTF_8);
        case "/page.html" -> {
          String denied = exchange.getRequestURI().getQuery();
          body = page(denied == null ? "about:blank" : denied).getBytes(StandardCharsets.UTF_8);
          type = "text/html; charset=utf-8";
        }
        case "/report" -> {
          reports.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          body = "thanks".getBytes(StandardCharsets.UTF_8);
        }
        default -> {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private void echoLoop() {
    while (!echo.isClosed()) {
      try {
        Socket socket = echo.accept();
        Thread.ofVirtual()
            .start(
                () -> {
                  try (socket;
                      InputStream in = socket.getInputStream();
                      OutputStream out = socket.getOutputStream()) {
                    in.transferTo(out);
                  } catch (IOException e) {
                    // The client went away.
                  }
                });
      } catch (IOException e) {
        return;
      }
    }
  }

  private void countLoop() {
    while (!forbidden.isClosed()) {
      try (Socket socket = forbidden.accept()) {
        forbiddenAccepts.incrementAndGet();
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    http.stop(0);
    echo.close();
    forbidden.close();
  }
}
