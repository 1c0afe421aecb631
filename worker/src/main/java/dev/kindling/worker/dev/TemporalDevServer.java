package dev.kindling.worker.dev;

import dev.kindling.host.exec.Commands;
import dev.kindling.workflows.KindlingSearchAttributes;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's development server ({@code temporal server start-dev}) as a child process: a real
 * Temporal (Schedules, visibility queries, the web UI) on loopback, with Kindling's search
 * attributes registered. State lives in a SQLite file, or in memory. {@link #close()} stops it
 * (SIGTERM, then SIGKILL after a grace period) and anything it started; {@link #exited()} completes
 * when it ends by itself.
 */
public final class TemporalDevServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TemporalDevServer.class);

  /** It serves within a second here; a busy two-core host running VMs gets the rest. */
  private static final Duration STARTUP = Duration.ofMinutes(2);

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  /** Longer than a worker's drain (10 s) plus the proxy's stop. */
  private static final Duration OWNER_CLOSE_GRACE = Duration.ofSeconds(20);

  private static final int PORT_ATTEMPTS = 3;
  private static final String LOOPBACK = "127.0.0.1";

  /**
   * @param port gRPC port; 0 picks a free one
   * @param uiPort web UI port; 0 picks a free one, -1 runs without the UI
   * @param database the SQLite file, or null to keep everything in memory
   * @param namespace created when missing (the server always has {@code default})
   * @param logFile where the server's output goes (appended)
   */
  public record Options(
      Path cli, int port, int uiPort, Path database, String namespace, Path logFile) {}

  private final Process process;
  private final Path database;
  private final int port;
  private final int uiPort;
  private final Path logFile;
  private final Thread stopOnExit;
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean stopping;

  private TemporalDevServer(Process process, int port, int uiPort, Path logFile, Path database) {
    this.database = database;
    this.process = process;
    this.port = port;
    this.uiPort = uiPort;
    this.logFile = logFile;
    this.stopOnExit = new Thread(this::stopUnlessClosed, "temporal-dev-server-stop");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
  }

  /**
   * Starts the server and returns once it serves the namespace with Kindling's search attributes. A
   * port this method chose and found taken by the time the server bound it is chosen again.
   */
  public static TemporalDevServer start(Options options) {
    try {
      Files.createDirectories(options.logFile().toAbsolutePath().getParent());
      if (options.database() != null) {
        Files.createDirectories(options.database().toAbsolutePath().getParent());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int attempt = 1; ; attempt++) {
      int port = options.port() == 0 ? freeLoopbackPort() : options.port();
      int uiPort = options.uiPort() == 0 ? freeLoopbackPort() : options.uiPort();
      TemporalDevServer server = launch(options, port, uiPort);
      try {
        server.awaitServing(options.namespace());
        log.info(
            "Temporal dev server ({}) serving on {}{} (pid {}, {}, output in {})",
            options.cli(),
            server.target(),
            server.uiUri().map(ui -> ", web UI " + ui).orElse(""),
            server.pid(),
            options.database() == null ? "in memory" : "state in " + options.database(),
            options.logFile());
        return server;
      } catch (ExitedEarly e) {
        server.close();
        boolean portsOurs = options.port() == 0 || options.uiPort() == 0;
        if (!portsOurs || attempt == PORT_ATTEMPTS) {
          throw new IllegalStateException(e.getMessage());
        }
        log.info(
            "the Temporal dev server exited at start ({} of {}); trying other ports",
            attempt,
            PORT_ATTEMPTS);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }
  }

  /** host:port for clients and workers. */
  public String target() {
    return LOOPBACK + ":" + port;
  }

  /** The web UI, unless it runs without one. */
  public Optional<URI> uiUri() {
    return uiPort < 0
        ? Optional.empty()
        : Optional.of(URI.create("http://" + LOOPBACK + ":" + uiPort));
  }

  /** Its SQLite state file; empty when its state is in memory, gone with the process. */
  public Optional<Path> database() {
    return Optional.ofNullable(database);
  }

  public Path logFile() {
    return logFile;
  }

  public long pid() {
    return process.pid();
  }

  /** Completes with the exit status when the server ends without being asked to. */
  public CompletableFuture<Integer> exited() {
    return process
        .onExit()
        .thenCompose(
            p ->
                stopping
                    ? new CompletableFuture<>()
                    : CompletableFuture.completedFuture(p.exitValue()));
  }

  /** The last lines of the server's output, for a report. */
  public String outputTail() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    stop();
    closed.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException exiting) {
      // The JVM is already shutting down and runs the hook itself.
    }
  }

  static List<String> argv(Options options, int port, int uiPort) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                options.cli().toString(),
                "server",
                "start-dev",
                "--ip",
                LOOPBACK,
                "--port",
                Integer.toString(port),
                "--log-level",
                "warn",
                // Never call home: everything this server talks to stays on loopback.
                "--dynamic-config-value",
                "frontend.enableServerVersionCheck=false"));
    if (uiPort < 0) {
      argv.add("--headless");
    } else {
      argv.addAll(List.of("--ui-ip", LOOPBACK, "--ui-port", Integer.toString(uiPort)));
    }
    if (options.database() != null) {
      argv.addAll(List.of("--db-filename", options.database().toString()));
    }
    if (!"default".equals(options.namespace())) {
      argv.addAll(List.of("--namespace", options.namespace()));
    }
    for (SearchAttributeKey<?> key : KindlingSearchAttributes.all()) {
      argv.add("--search-attribute");
      argv.add(key.getName() + "=" + cliTypeName(key.getValueType()));
    }
    return argv;
  }

  /**
   * The CLI's spelling of a search attribute type: INDEXED_VALUE_TYPE_KEYWORD_LIST is KeywordList
   * (matched ignoring case).
   */
  static String cliTypeName(IndexedValueType type) {
    return type.name().replace("INDEXED_VALUE_TYPE_", "").replace("_", "");
  }

  private static TemporalDevServer launch(Options options, int port, int uiPort) {
    List<String> command = new ArrayList<>();
    // In a session of its own, a terminal's Ctrl-C reaches only the JVM, which stops the server
    // after its worker.
    Commands.locate("setsid").ifPresent(setsid -> command.add(setsid.toString()));
    command.addAll(argv(options, port, uiPort));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(options.logFile().toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().put("TEMPORAL_VERSION_CHECK_DISABLED", "1");
    try {
      return new TemporalDevServer(
          builder.start(), port, uiPort, options.logFile(), options.database());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + options.cli(), e);
    }
  }

  private void awaitServing(String namespace) {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    String lastProblem = "not started";
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target()).build());
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setChannel(service.getRawChannel())
                .validateAndBuildWithDefaults());
    try {
      while (true) {
        if (!process.isAlive()) {
          throw new ExitedEarly(
              "the Temporal dev server exited with "
                  + process.exitValue()
                  + " before serving; output ("
                  + logFile
                  + "):\n"
                  + outputTail());
        }
        try {
          service
              .blockingStub()
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .describeNamespace(
                  DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
          List<String> missing = TemporalSearchAttributes.missing(operator, namespace);
          if (missing.isEmpty()) {
            return;
          }
          lastProblem = "search attributes " + missing + " not registered";
        } catch (StatusRuntimeException notYet) {
          lastProblem = notYet.getStatus().toString();
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the Temporal dev server did not serve "
                  + namespace
                  + " with Kindling's search attributes within "
                  + STARTUP
                  + " ("
                  + lastProblem
                  + "); output ("
                  + logFile
                  + "):\n"
                  + outputTail());
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Temporal dev server", e);
    } finally {
      operator.shutdownNow();
      service.shutdownNow();
    }
  }

  /**
   * At JVM exit: the owner's orderly {@link #close()} (after its worker drained) runs in another
   * shutdown hook; this one stops the server only if that does not happen in time.
   */
  private void stopUnlessClosed() {
    try {
      if (closed.await(OWNER_CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop();
  }

  /**
   * SIGTERM (the server shuts down cleanly), SIGKILL after a grace period, then anything it
   * started.
   */
  private void stop() {
    stopping = true;
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "the Temporal dev server {} ignored SIGTERM for {}; killing it",
            process.pid(),
            STOP_GRACE);
        process.destroyForcibly();
        process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle child : children) {
      child.destroyForcibly();
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class ExitedEarly extends RuntimeException {
    ExitedEarly(String message) {
      super(message);
    }
  }
}
