package dev.kindling.worker.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.tally.ScopeCloseException;
import dev.kindling.workflows.Validation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's meters in one Prometheus registry, every one tagged with {@code host}: the Temporal
 * SDK's own ({@code temporal_*}, through {@link #temporalScope()}), Kindling's activity meters
 * ({@code kindling_*}, through {@link #interceptor()} and {@link #trackPhases}), and the JVM's.
 * Served as {@code GET /metrics} in Prometheus' text format, beside {@code GET /healthz}.
 */
public final class WorkerMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerMetrics.class);
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The SDK buffers its meters in the scope; a scrape sees them at most this late. */
  private static final com.uber.m3.util.Duration TEMPORAL_REPORT_EVERY =
      com.uber.m3.util.Duration.ofSeconds(1);

  /**
   * Scrapes are rare and quick: two threads, and a short queue before the dispatcher serves
   * requests itself.
   */
  private static final int HTTP_THREADS = 2;

  private static final int HTTP_QUEUE = 16;

  private final String hostId;
  private final PrometheusMeterRegistry registry;
  private final Scope temporalScope;
  private final ActivityMetricsInterceptor interceptor;
  private final HttpServer server;
  private final ThreadPoolExecutor httpExecutor;
  private final URI uri;
  private VmPhaseGauges phases;
  private boolean closed;

  private WorkerMetrics(
      String hostId,
      PrometheusMeterRegistry registry,
      HttpServer server,
      ThreadPoolExecutor httpExecutor,
      URI uri) {
    this.hostId = hostId;
    this.registry = registry;
    this.server = server;
    this.httpExecutor = httpExecutor;
    this.uri = uri;
    this.temporalScope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(TEMPORAL_REPORT_EVERY);
    this.interceptor = new ActivityMetricsInterceptor(registry);
  }

  /**
   * A registry for host {@code hostId}, served on {@code bindAddress:port} ({@code 0}: a free port;
   * {@code -1}: not served, the meters are still recorded).
   */
  public static WorkerMetrics start(String bindAddress, int port, String hostId) {
    // The host id goes into visibility queries; a valid one cannot break out of its quotes.
    Validation.hostId(hostId);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("host", hostId);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    if (port == -1) {
      return new WorkerMetrics(hostId, registry, null, null, null);
    }
    ThreadPoolExecutor executor = httpExecutor();
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
    } catch (IOException e) {
      executor.shutdown();
      registry.close();
      throw new UncheckedIOException(
          "cannot serve worker metrics on " + bindAddress + ":" + port, e);
    }
    server.setExecutor(executor);
    server.createContext("/metrics", plainText("/metrics", CONTENT_TYPE, registry::scrape));
    server.createContext(
        "/healthz", plainText("/healthz", "text/plain; charset=utf-8", () -> "ok\n"));
    server.start();
    URI uri = metricsUri(server.getAddress());
    log.info("worker metrics at {}", uri);
    return new WorkerMetrics(hostId, registry, server, executor, uri);
  }

  /** The bound port, or -1 when not served. */
  public int port() {
    return server == null ? -1 : server.getAddress().getPort();
  }

  /** {@code http://host:port/metrics}, or null when not served. */
  public URI uri() {
    return uri;
  }

  /** The registry behind {@code /metrics}, for meters made elsewhere in the process. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * For {@code WorkflowServiceStubsOptions.Builder.setMetricsScope}: the SDK's meters land in this
   * registry.
   */
  public Scope temporalScope() {
    return temporalScope;
  }

  /**
   * For {@code WorkerFactoryOptions.Builder.setWorkerInterceptors}: records Kindling's activity
   * meters.
   */
  public WorkerInterceptor interceptor() {
    return interceptor;
  }

  /**
   * Keeps {@code kindling_vms{phase}} up to date from {@code client}'s visibility every 15 s,
   * starting now, until {@link #close()}. The namespace must have Kindling's search attributes
   * registered, and the server must count visibility queries (the in-memory test server cannot: its
   * gauges never appear).
   */
  public synchronized void trackPhases(WorkflowClient client) {
    if (closed || phases != null) {
      throw new IllegalStateException(
          closed ? "worker metrics are closed" : "phases are already tracked");
    }
    phases = new VmPhaseGauges(registry, client, hostId);
    phases.start();
  }

  /** The registry's current text, as {@code /metrics} serves it. */
  String scrape() {
    return registry.scrape();
  }

  /**
   * Stops the endpoint, the phase gauges and the scope (whose last report flushes the SDK's
   * meters).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (phases != null) {
      phases.close();
    }
    if (server != null) {
      server.stop(0);
      httpExecutor.shutdownNow();
    }
    try {
      temporalScope.close();
    } catch (ScopeCloseException e) {
      log.debug("closing the Temporal metrics scope failed", e);
    }
    registry.close();
  }

  private static ThreadPoolExecutor httpExecutor() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            HTTP_THREADS,
            HTTP_THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(HTTP_QUEUE),
            Thread.ofPlatform().name("kindling-metrics-http-", 0).daemon().factory(),
            // Running on the dispatcher stops it accepting until a scrape finishes: back-pressure,
            // not an error.
            new ThreadPoolExecutor.CallerRunsPolicy());
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  /**
   * Answers GET and HEAD of exactly {@code path} with {@code body}; anything else is 404 or 405.
   */
  private static HttpHandler plainText(String path, String contentType, Supplier<String> body) {
    return exchange -> {
      try (exchange) {
        String method = exchange.getRequestMethod();
        if (!exchange.getRequestURI().getPath().equals(path)) {
          exchange.sendResponseHeaders(404, -1);
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
          exchange.getResponseHeaders().set("Allow", "GET, HEAD");
          exchange.sendResponseHeaders(405, -1);
        } else {
          send(exchange, contentType, body.get().getBytes(StandardCharsets.UTF_8));
        }
      }
    };
  }

  private static void send(HttpExchange exchange, String contentType, byte[] bytes)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(200, -1);
      return;
    }
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static URI metricsUri(InetSocketAddress bound) {
    InetAddress address = bound.getAddress();
    // A wildcard bind is reachable on loopback; the wildcard itself is no address to connect to.
    String host =
        address.isAnyLocalAddress()
            ? InetAddress.getLoopbackAddress().getHostAddress()
            : address.getHostAddress();
    try {
      return new URI("http", null, host, bound.getPort(), "/metrics", null, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
