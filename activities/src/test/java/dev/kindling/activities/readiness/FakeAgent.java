package dev.kindling.activities.readiness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kindling.activities.netns.NetworkNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** The guest agent's HTTP API, served inside a test namespace. */
final class FakeAgent implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;

  private FakeAgent(HttpServer server) {
    this.server = server;
  }

  /**
   * @param vncPassword what the fake x11vnc demands; a posted password lands here unless {@code ignoreSecrets}
   */
  static FakeAgent start(String namespace, InetSocketAddress address, AtomicReference<String> vncPassword, boolean ignoreSecrets) throws IOException {
    return start(namespace, address, vncPassword, ignoreSecrets, "active");
  }

  /** @param websockifyState what the agent reports for websockify's unit, e.g. "inactive" when it is masked */
  static FakeAgent start(String namespace, InetSocketAddress address, AtomicReference<String> vncPassword, boolean ignoreSecrets,
      String websockifyState) throws IOException {
    HttpServer server = NetworkNamespaces.inside(namespace, () -> HttpServer.create(address, 16));
    server.createContext("/health", exchange -> {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("ready", vncPassword.get() != null);
      body.put("vncConfigured", vncPassword.get() != null);
      body.put("units", Map.of("kindling-xvfb.service", "active", "kindling-x11vnc.service", "active", "kindling-websockify.service", websockifyState));
      respond(exchange, 200, JSON.writeValueAsBytes(body));
    });
    server.createContext("/v1/secrets", exchange -> {
      if (!exchange.getRequestMethod().equals("POST")) {
        respond(exchange, 405, new byte[0]);
        return;
      }
      Map<?, ?> request = JSON.readValue(exchange.getRequestBody().readAllBytes(), Map.class);
      Object password = request.get("vncPassword");
      if (!(password instanceof String text) || text.length() != 8) {
        respond(exchange, 400, "vncPassword must have 8 characters".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (!ignoreSecrets) {
        vncPassword.set(text);
      }
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
    return new FakeAgent(server);
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
