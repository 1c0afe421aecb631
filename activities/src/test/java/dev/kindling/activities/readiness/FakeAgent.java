package dev.kindling.activities.readiness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kindling.host.netns.NetworkNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The guest agent's HTTP API, served inside a test namespace: {@code GET /health}, {@code POST
 * /v1/secrets} (password and launch parameters) and {@code GET /v1/app} (the session app as {@link
 * App} describes it).
 */
final class FakeAgent implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;

  private FakeAgent(HttpServer server) {
    this.server = server;
  }

  /**
   * The session app the fake agent reports on {@code GET /v1/app}, in the real agent's JSON, and
   * what {@code POST /v1/secrets} was sent. Running with its window mapped unless a test changes
   * it; a test may change it while a probe runs.
   */
  static final class App {
    /** False: {@code GET /v1/app} is 404, like an agent from before templates. */
    volatile boolean endpoint = true;

    volatile boolean configured = true;
    volatile String template = "terminal";
    volatile String activeState = "active";
    volatile String subState = "running";
    volatile int mainPid = 4242;
    volatile int restarts;

    /** "exited", "killed", "dumped" or null while the main process never exited. */
    volatile String exitCode;

    volatile Integer exitStatus;
    volatile boolean windowMapped = true;

    /**
     * Whether the app has fetched the launch's URL (the real agent marks it when the app
     * long-polls).
     */
    volatile boolean urlDelivered = true;

    /**
     * Whether the app ever asks the agent for a URL (the browser's start page does, a terminal
     * never).
     */
    volatile boolean urlPolled = true;

    volatile String logTail = "";

    /** Bodies of every {@code POST /v1/secrets}, as sent. */
    final List<String> secretsBodies = new CopyOnWriteArrayList<>();

    final AtomicInteger appRequests = new AtomicInteger();
    private int generation;
    private String url;
    private List<String> args = List.of();

    /** The unit failed: its process exited with {@code status}, systemd gave up restarting it. */
    App failed(int status, String log) {
      activeState = "failed";
      subState = "failed";
      mainPid = 0;
      restarts = 5;
      exitCode = "exited";
      exitStatus = status;
      windowMapped = false;
      logTail = log;
      return this;
    }

    /**
     * Like the real agent: a POST with "launch" replaces the parameters, one without leaves them.
     */
    private synchronized void launch(Object launch) {
      if (!(launch instanceof Map<?, ?> params)) {
        return;
      }
      String newUrl = params.get("url") instanceof String text ? text : null;
      List<String> newArgs = new ArrayList<>();
      if (params.get("args") instanceof List<?> list) {
        list.forEach(a -> newArgs.add(String.valueOf(a)));
      }
      if (!java.util.Objects.equals(newUrl, url) || !newArgs.equals(args)) {
        generation++;
        url = newUrl;
        args = List.copyOf(newArgs);
      }
    }

    private synchronized Map<String, Object> json() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("configured", configured);
      body.put("template", template);
      body.put("activeState", activeState);
      body.put("subState", subState);
      body.put("mainPid", mainPid);
      body.put("restarts", restarts);
      body.put("exitCode", exitCode);
      body.put("exitStatus", exitStatus);
      body.put(
          "window",
          windowMapped
              ? Map.of("id", "0x400007", "wmClass", "XTerm", "title", "Kindling terminal")
              : null);
      Map<String, Object> launch = new LinkedHashMap<>();
      launch.put("generation", generation);
      launch.put("url", url);
      launch.put("urlDelivered", url != null && urlDelivered);
      launch.put("polled", urlPolled);
      launch.put("args", args);
      body.put("launch", launch);
      body.put("logTail", logTail);
      return body;
    }
  }

  /**
   * @param vncPassword what the fake x11vnc demands; a posted password lands here unless {@code
   *     ignoreSecrets}
   */
  static FakeAgent start(
      String namespace,
      InetSocketAddress address,
      AtomicReference<String> vncPassword,
      boolean ignoreSecrets)
      throws IOException {
    return start(namespace, address, vncPassword, ignoreSecrets, "active", new App());
  }

  /**
   * @param websockifyState what the agent reports for websockify's unit, e.g. "inactive" when it is
   *     masked
   * @param app the session app it reports, and where it records the secrets it was sent
   */
  static FakeAgent start(
      String namespace,
      InetSocketAddress address,
      AtomicReference<String> vncPassword,
      boolean ignoreSecrets,
      String websockifyState,
      App app)
      throws IOException {
    HttpServer server = NetworkNamespaces.inside(namespace, () -> HttpServer.create(address, 16));
    server.createContext(
        "/health",
        exchange -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("ready", vncPassword.get() != null);
          body.put("vncConfigured", vncPassword.get() != null);
          body.put(
              "units",
              Map.of(
                  "kindling-xvfb.service",
                  "active",
                  "kindling-x11vnc.service",
                  "active",
                  "kindling-websockify.service",
                  websockifyState));
          respond(exchange, 200, JSON.writeValueAsBytes(body));
        });
    server.createContext(
        "/v1/secrets",
        exchange -> {
          if (!exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 405, new byte[0]);
            return;
          }
          byte[] raw = exchange.getRequestBody().readAllBytes();
          app.secretsBodies.add(new String(raw, StandardCharsets.UTF_8));
          Map<?, ?> request = JSON.readValue(raw, Map.class);
          Object password = request.get("vncPassword");
          if (!(password instanceof String text) || text.length() != 8) {
            respond(
                exchange,
                400,
                "vncPassword must have 8 characters".getBytes(StandardCharsets.UTF_8));
            return;
          }
          app.launch(request.get("launch"));
          if (!ignoreSecrets) {
            vncPassword.set(text);
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.createContext(
        "/v1/app",
        exchange -> {
          app.appRequests.incrementAndGet();
          if (!app.endpoint) {
            respond(exchange, 404, new byte[0]);
            return;
          }
          if (!exchange.getRequestMethod().equals("GET")) {
            respond(exchange, 405, new byte[0]);
            return;
          }
          respond(exchange, 200, JSON.writeValueAsBytes(app.json()));
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
