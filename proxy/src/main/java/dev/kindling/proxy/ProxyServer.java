package dev.kindling.proxy;

import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket proxy: browsers' noVNC connections in, each session's VM websockify out.
 *
 * <pre>{@code
 * ProxyServer proxy = ProxyServer.start(ProxyConfig.builder().tokenKey(key).build(), resolver, VncPasswords.fromHost(paths));
 * String url = proxy.baseUri() + "sessions/" + id + "/?token=" + proxy.tokens().mint(id);
 * proxy.close();
 * }</pre>
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

  private final ProxyConfig config;
  private final SessionTokens tokens;
  private final ProxyMetrics metrics = new ProxyMetrics();
  private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor ticker;
  private final ExecutorService workers =
      Executors.newThreadPerTaskExecutor(
          Thread.ofVirtual().name("kindling-proxy-connect-", 0).factory());
  private final Server server;
  private static final String MAIN = "main";
  private static final String METRICS = "metrics";

  private final SpareDescriptorConnector connector;
  private final ServerConnector metricsConnector;
  private final UpstreamConnector upstreams;
  private final RelayHandler relayHandler;
  private volatile boolean serving;

  private ProxyServer(
      ProxyConfig config,
      RouteResolver resolver,
      VncPasswords passwords,
      SessionActivity sessionActivity)
      throws Exception {
    this.config = config;
    if (config.tokenKey() == null) {
      log.warn(
          "no token key configured (development mode): using a random key for this process; tokens minted elsewhere will be refused");
      this.tokens = new SessionTokens(SessionTokens.decodeKey(SessionTokens.generateKey()));
    } else {
      this.tokens = new SessionTokens(config.tokenKey());
    }
    ticker =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("kindling-proxy-tick").daemon().factory());
    ticker.setRemoveOnCancelPolicy(true);

    QueuedThreadPool threads = new QueuedThreadPool(200, 4);
    threads.setName("kindling-proxy");
    Scheduler scheduler = new ScheduledExecutorScheduler("kindling-proxy-scheduler", true);
    ByteBufferPool buffers = RelayBuffers.pool();
    server = new Server(threads, scheduler, buffers);
    server.setStopTimeout(2000);
    SpareDescriptor spare = new SpareDescriptor();
    connector = new SpareDescriptorConnector(server, spare);
    connector.setHost(config.bindHost());
    connector.setPort(config.port());
    connector.setReusePort(config.reusePort());
    connector.setName(MAIN);
    server.addConnector(connector);
    ContextHandler statusOnly = null;
    if (config.metricsPort() >= 0) {
      metricsConnector = new ServerConnector(server, 1, 1);
      metricsConnector.setHost(config.bindHost());
      metricsConnector.setPort(config.metricsPort());
      metricsConnector.setName(METRICS);
      server.addConnector(metricsConnector);
      statusOnly = new ContextHandler(new StatusHandler(metrics, () -> serving), "/");
      statusOnly.setVirtualHosts(List.of("@" + METRICS));
    } else {
      metricsConnector = null;
    }

    ContextHandler root = new ContextHandler("/");

    // The server starts its beans before its connectors, so the upstream client is ready before
    // the first browser can arrive, and it stops after the connectors have closed.
    upstreams = new UpstreamConnector(config, threads, scheduler, buffers, spare);
    server.addBean(upstreams.lifeCycle());
    ThrottledActivity activity =
        new ThrottledActivity(
            sessionActivity, config.activityReportInterval(), ticker, workers, System::nanoTime);
    relayHandler =
        new RelayHandler(
            config,
            tokens,
            resolver,
            upstreams,
            passwords,
            new SessionViewers(config.controlPolicy(), activity),
            activity,
            metrics,
            ticker,
            workers,
            relays);
    metrics.maxConnections(relayHandler.limiter().perProcess());
    root.setHandler(
        new Handler.Sequence(
            relayHandler,
            new PageHandler(config, resolver, workers),
            new StatusHandler(metrics, () -> serving)));

    ContextHandlerCollection contexts = new ContextHandlerCollection();
    if (Files.isDirectory(config.noVncDir())) {
      ContextHandler novnc = new ContextHandler("/novnc");
      ResourceHandler files = new ResourceHandler();
      files.setBaseResource(ResourceFactory.of(novnc).newResource(config.noVncDir()));
      files.setDirAllowed(false);
      novnc.setHandler(files);
      contexts.addHandler(novnc);
    } else {
      log.warn(
          "noVNC not found at {} (install Debian's novnc package): session pages will not load",
          config.noVncDir());
    }
    contexts.addHandler(root);
    if (statusOnly != null) {
      // The metrics port answers only for status; sessions and pages stay on the main port.
      for (var context : contexts.getHandlers()) {
        ((ContextHandler) context).setVirtualHosts(List.of("@" + MAIN));
      }
      contexts.addHandler(statusOnly);
    }
    server.setHandler(contexts);
    try {
      server.start();
    } catch (Exception e) {
      ticker.shutdownNow();
      workers.shutdownNow();
      server.stop();
      throw e;
    }
    serving = true;
    log.info(
        "proxy listening on {} (sessions under {}/<id>/; at most {} connections in this process{})",
        baseUri(),
        config.pathPrefix(),
        maxConnections(),
        config.reusePort() ? "; port shared with other proxy processes" : "");
    metricsPort()
        .ifPresent(
            port ->
                log.info(
                    "this process's /metrics and /healthz: http://{}:{}/metrics",
                    config.bindHost(),
                    port));
  }

  /**
   * Starts a proxy; on a VM host {@code passwords} reads its run directory ({@link
   * VncPasswords#fromHost}) and {@code activity} tells each session's workflow who watches and that
   * somebody types ({@link TemporalSessionActivity}).
   */
  public static ProxyServer start(
      ProxyConfig config, RouteResolver resolver, VncPasswords passwords, SessionActivity activity)
      throws Exception {
    return new ProxyServer(config, resolver, passwords, activity);
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The port of this process's own {@code /metrics} and {@code /healthz}, when it has one. */
  public OptionalInt metricsPort() {
    return metricsConnector == null
        ? OptionalInt.empty()
        : OptionalInt.of(metricsConnector.getLocalPort());
  }

  /** {@code http://host:port/}. */
  public URI baseUri() {
    String host =
        config.bindHost().contains(":") ? "[" + config.bindHost() + "]" : config.bindHost();
    return URI.create("http://" + host + ":" + port() + "/");
  }

  public ProxyConfig config() {
    return config;
  }

  /** Mints and checks tokens with this proxy's key. */
  public SessionTokens tokens() {
    return tokens;
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  /**
   * The most relayed connections this process holds at once ({@link ProxyConfig#maxConnections()},
   * resolved).
   */
  public int maxConnections() {
    return relayHandler.limiter().perProcess();
  }

  /** Connections currently open or being opened, in this process. */
  public int connections() {
    return relayHandler.limiter().total();
  }

  /** Connections currently open or being opened for {@code sessionId}. */
  public int connections(String sessionId) {
    return relayHandler.limiter().count(sessionId);
  }

  /** Closes every relay with "proxy shutting down", then stops listening. Idempotent. */
  @Override
  public void close() throws Exception {
    serving = false;
    if (relayHandler != null) {
      relayHandler.shutDown();
    }
    for (Relay relay : List.copyOf(relays)) {
      relay.end(CloseOutcome.PROXY_SHUTTING_DOWN, null, null);
    }
    try {
      server.stop();
    } finally {
      ticker.shutdownNow();
      workers.shutdownNow();
    }
  }
}
