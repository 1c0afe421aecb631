package dev.kindling.worker.dev;

import dev.kindling.host.TemporalCli;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.ProxyRuntime;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.runtime.WorkerRuntime;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.client.KindlingClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: a real Temporal (the Temporal CLI's dev server as a child process, unless a
 * server already answers on {@code temporal.target}), the worker (shared and host queues), the
 * cleanup Schedule and the proxy. Closing stops them in reverse order; workflows outlive the stack
 * unless its server keeps its state in memory.
 */
public final class DevStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DevStack.class);

  /** Long enough for a server that is there to answer, short enough not to delay starting one. */
  private static final Duration PROBE = Duration.ofSeconds(2);

  private final KindlingConfig config;
  private final TemporalDevServer server;
  private final HostServices host;
  private final WorkerRuntime worker;
  private final ProxyServer proxy;
  private final String tokenKey;

  private DevStack(
      KindlingConfig config,
      TemporalDevServer server,
      HostServices host,
      WorkerRuntime worker,
      ProxyServer proxy,
      String tokenKey) {
    this.config = config;
    this.server = server;
    this.host = host;
    this.worker = worker;
    this.proxy = proxy;
    this.tokenKey = tokenKey;
  }

  /**
   * Starts everything. A Temporal server that answers on {@code temporal.target} is used as it is
   * (Kindling's search attributes are registered when missing); otherwise the dev server starts
   * there ({@code localhost:0} picks a free port). The proxy listens on {@code proxy.port}.
   */
  public static DevStack start(KindlingConfig requested) throws Exception {
    TemporalDevServer server = answers(requested) ? null : startServer(requested);
    KindlingConfig config =
        server == null
            ? requested
            : requested
                .with(Setting.TEMPORAL_TARGET, server.target())
                .with(Setting.TEMPORAL_EPHEMERAL, Boolean.toString(server.database().isEmpty()));
    WorkerRuntime worker = null;
    try {
      HostServices host = HostServices.create(config);
      worker = WorkerRuntime.start(host);
      new KindlingClient(worker.connection().client()).ensureCleanup(WorkerRuntime.CLEANUP_EVERY);
      String tokenKey = ProxyRuntime.tokenKey(config);
      ProxyServer proxy = ProxyRuntime.start(config, worker.connection().client(), tokenKey);
      return new DevStack(config, server, host, worker, proxy, tokenKey);
    } catch (Exception | Error e) {
      if (worker != null) {
        worker.close();
      }
      if (server != null) {
        server.close();
      }
      throw e;
    }
  }

  /**
   * True when a Temporal server serves the configured namespace at the target; it then gets
   * Kindling's search attributes.
   */
  private static boolean answers(KindlingConfig config) {
    String target = config.temporalTarget();
    if (target.endsWith(":0")) {
      return false;
    }
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    try {
      service
          .blockingStub()
          .withDeadlineAfter(PROBE.toMillis(), TimeUnit.MILLISECONDS)
          .describeNamespace(
              DescribeNamespaceRequest.newBuilder()
                  .setNamespace(config.temporalNamespace())
                  .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new InvalidInputException(
            Setting.TEMPORAL_NAMESPACE.key(),
            "the Temporal server at "
                + target
                + " has no namespace '"
                + config.temporalNamespace()
                + "'");
      }
      return false;
    } finally {
      service.shutdownNow();
    }
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setTarget(target)
                .validateAndBuildWithDefaults());
    try {
      TemporalSearchAttributes.ensure(operator, config.temporalNamespace());
    } finally {
      operator.shutdownNow();
    }
    log.info("using the Temporal server that answers at {}", target);
    return true;
  }

  private static TemporalDevServer startServer(KindlingConfig config) {
    String target = config.temporalTarget();
    int port = loopbackPort(target);
    String named = config.get(Setting.TEMPORAL_CLI);
    Path cli =
        TemporalCli.find(named, config.paths())
            .orElseThrow(
                () ->
                    new InvalidInputException(
                        Setting.TEMPORAL_CLI.key(), TemporalCli.missing(named, config.paths())));
    Path state = config.temporalStateDir();
    // Port 0 is a private server for this process (tests, demos): nobody could find it again, so
    // its state is not kept.
    boolean ephemeral = port == 0 || Boolean.parseBoolean(config.get(Setting.TEMPORAL_EPHEMERAL));
    int uiPort = config.intValue(Setting.TEMPORAL_UI_PORT);
    return TemporalDevServer.start(
        new TemporalDevServer.Options(
            cli,
            port,
            port == 0 && uiPort > 0 ? 0 : uiPort,
            ephemeral ? null : stateFile(config, port),
            config.temporalNamespace(),
            // A private server's output belongs to its run; a kept server's beside its state.
            port == 0
                ? config.paths().runDir().resolve("temporal-dev-server.log")
                : state.resolve("temporal-dev-server-" + port + ".log")));
  }

  /**
   * One state file per port: two dev servers never share one, and a restart on the same port finds
   * its own.
   */
  private static Path stateFile(KindlingConfig config, int port) {
    return config.temporalStateDir().resolve("temporal-" + port + ".db");
  }

  static int loopbackPort(String target) {
    String[] parts = target.split(":");
    if (parts.length != 2 || !(parts[0].equals("localhost") || parts[0].equals("127.0.0.1"))) {
      throw new InvalidInputException(
          Setting.TEMPORAL_TARGET.key(),
          "no Temporal server answers at '"
              + target
              + "', and the dev server is started only on localhost:PORT");
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          Setting.TEMPORAL_TARGET.key(), "'" + parts[1] + "' is not a port");
    }
  }

  public KindlingConfig config() {
    return config;
  }

  public TemporalConnection connection() {
    return worker.connection();
  }

  public HostServices host() {
    return host;
  }

  public WorkerRuntime worker() {
    return worker;
  }

  public ProxyServer proxy() {
    return proxy;
  }

  /** The base64 key this stack's proxy verifies tokens with. */
  public String tokenKey() {
    return tokenKey;
  }

  public String temporalTarget() {
    return config.temporalTarget();
  }

  /**
   * The dev server's web UI; empty when it runs without one or the stack uses a server it did not
   * start.
   */
  public Optional<URI> temporalUi() {
    return server == null ? Optional.empty() : server.uiUri();
  }

  /** The dev server this stack started, if it started one. */
  public Optional<TemporalDevServer> devServer() {
    return Optional.ofNullable(server);
  }

  /**
   * Completes with a reason when the dev server this stack started ends by itself; never when it
   * uses another server.
   */
  public CompletableFuture<String> serverLost() {
    if (server == null) {
      return new CompletableFuture<>();
    }
    return server
        .exited()
        .thenApply(
            status ->
                "the Temporal dev server exited with status "
                    + status
                    + "; its output ("
                    + server.logFile()
                    + ") ends:\n"
                    + server.outputTail());
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.close();
    } finally {
      try {
        worker.close();
      } finally {
        if (server != null) {
          server.close();
        }
        log.info("dev stack stopped");
      }
    }
  }
}
