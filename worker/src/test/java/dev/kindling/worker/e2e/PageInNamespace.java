package dev.kindling.worker.e2e;

import com.sun.net.httpserver.HttpServer;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTML page served on the host side of a VM's tap, inside that VM's own namespace: what the
 * VM's browser can reach without any egress. Started as soon as the namespace and its address
 * exist, which is well before the VM's browser is handed the URL.
 */
final class PageInNamespace implements AutoCloseable {
  static final int PORT = 8000;
  private final HttpServer server;

  private PageInNamespace(HttpServer server) {
    this.server = server;
  }

  /** The URL the guest opens. */
  static String url(String path) {
    return "http://" + GuestNetwork.HOST_ADDRESS + ":" + PORT + path;
  }

  /**
   * Waits (bounded) for {@code vmId}'s namespace and tap address, then serves {@code html} at every
   * path.
   */
  static PageInNamespace serve(String vmId, String html, Duration within)
      throws IOException, InterruptedException {
    String namespace = GuestNetwork.namespaceFor(vmId);
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    HttpServer server =
        Await.value(
            "a namespace with " + GuestNetwork.HOST_ADDRESS + " for " + vmId,
            within,
            () -> NetworkNamespaces.exists(namespace) ? bind(namespace) : null,
            IOException.class); // the tap's address is not assigned yet
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    return new PageInNamespace(server);
  }

  private static HttpServer bind(String namespace) throws IOException {
    return NetworkNamespaces.inside(
        namespace,
        () -> HttpServer.create(new InetSocketAddress(GuestNetwork.HOST_ADDRESS, PORT), 16));
  }

  /** A page that is one colour from edge to edge, with a title. */
  static String solidPage(String title, String rgb) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
        + title
        + "</title><style>html,body{margin:0;height:100%;"
        + "background:#"
        + rgb
        + ";color:#fff;font:48px sans-serif;display:flex;align-items:center;justify-content:center}</style>"
        + "</head><body>"
        + title
        + "</body></html>";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
