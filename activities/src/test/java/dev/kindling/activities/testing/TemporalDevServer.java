package dev.kindling.activities.testing;

import dev.kindling.workflows.KindlingSearchAttributes;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's development server ({@code temporal server start-dev}): a real Temporal server in one
 * process, in memory, on a free loopback port, without its web UI, with Kindling's search
 * attributes registered in the {@code default} namespace. Its output goes to a file kept for
 * diagnosis; {@link #close()} stops it and anything it started.
 */
public final class TemporalDevServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TemporalDevServer.class);
  private static final String NAMESPACE = "default";
  /** It serves within seconds; a busy two-core host running VMs gets the rest. */
  private static final Duration STARTUP = Duration.ofMinutes(2);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int PORT_ATTEMPTS = 3;

  private final Process process;
  private final int port;
  private final Path logFile;
  private final Thread stopOnExit;

  private TemporalDevServer(Process process, int port, Path logFile) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
    this.stopOnExit = new Thread(this::stop, "temporal-dev-server-stop");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
  }

  /**
   * Starts {@code cli}'s development server and returns once it serves {@code default} with
   * Kindling's search attributes; its output goes to {@code logDir}. A port taken between choosing
   * and binding it is retried with another.
   */
  public static TemporalDevServer start(Path cli, Path logDir) {
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int attempt = 1; ; attempt++) {
      int port = freeLoopbackPort();
      Path logFile = logDir.resolve("temporal-dev-server-" + port + ".log");
      TemporalDevServer server = launch(cli, port, logFile);
      try {
        server.awaitServing();
        log.info("Temporal dev server ({}) serving on {} (pid {}, output in {})", cli, server.target(), server.process.pid(), logFile);
        return server;
      } catch (PortTaken e) {
        server.close();
        if (attempt == PORT_ATTEMPTS) {
          throw new IllegalStateException("the Temporal dev server found its port taken " + attempt + " times: " + e.getMessage());
        }
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }
  }

  /** host:port for clients and workers. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  public Path logFile() {
    return logFile;
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException exiting) {
      // The JVM is already shutting down and runs the hook itself.
    }
  }

  static List<String> argv(Path cli, int port) {
    List<String> argv = new ArrayList<>(List.of(cli.toString(), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", Integer.toString(port), "--headless", "--log-level", "warn",
        // Never call home: everything this server talks to stays on loopback.
        "--dynamic-config-value", "frontend.enableServerVersionCheck=false"));
    for (SearchAttributeKey<?> key : KindlingSearchAttributes.all()) {
      argv.add("--search-attribute");
      argv.add(key.getName() + "=" + cliTypeName(key.getValueType()));
    }
    return argv;
  }

  /** The CLI's spelling of a search attribute type: INDEXED_VALUE_TYPE_KEYWORD_LIST is KeywordList (matched ignoring case). */
  static String cliTypeName(IndexedValueType type) {
    return type.name().replace("INDEXED_VALUE_TYPE_", "").replace("_", "");
  }

  private static TemporalDevServer launch(Path cli, int port, Path logFile) {
    ProcessBuilder builder = new ProcessBuilder(argv(cli, port))
        .redirectErrorStream(true)
        .redirectOutput(logFile.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("TEMPORAL_VERSION_CHECK_DISABLED", "1");
    try {
      return new TemporalDevServer(builder.start(), port, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cli, e);
    }
  }

  private void awaitServing() {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    String lastProblem = "not started";
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(target()).build());
    OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(
        OperatorServiceStubsOptions.newBuilder().setChannel(service.getRawChannel()).validateAndBuildWithDefaults());
    try {
      while (true) {
        if (!process.isAlive()) {
          String output = outputTail();
          if (output.contains("can't set frontend port")) {
            throw new PortTaken(output);
          }
          throw new IllegalStateException("the Temporal dev server exited with " + process.exitValue() + " before serving; output ("
              + logFile + "):\n" + output);
        }
        try {
          service.blockingStub().withDeadlineAfter(2, TimeUnit.SECONDS)
              .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(NAMESPACE).build());
          Set<String> registered = operator.blockingStub().withDeadlineAfter(2, TimeUnit.SECONDS)
              .listSearchAttributes(ListSearchAttributesRequest.newBuilder().setNamespace(NAMESPACE).build())
              .getCustomAttributesMap().keySet();
          List<String> missing = KindlingSearchAttributes.all().stream().map(SearchAttributeKey::getName)
              .filter(name -> !registered.contains(name)).toList();
          if (missing.isEmpty()) {
            return;
          }
          lastProblem = "search attributes " + missing + " not registered";
        } catch (StatusRuntimeException notYet) {
          lastProblem = notYet.getStatus().toString();
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the Temporal dev server did not serve " + NAMESPACE + " with Kindling's search attributes within "
              + STARTUP + " (" + lastProblem + "); output (" + logFile + "):\n" + outputTail());
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Temporal dev server", e);
    } finally {
      operator.shutdownNow();
      service.shutdownNow();
    }
  }

  /** SIGTERM (the server shuts down cleanly), SIGKILL after a grace period, then anything it started. */
  private void stop() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("the Temporal dev server {} ignored SIGTERM for {}; killing it", process.pid(), STOP_GRACE);
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

  private String outputTail() {
    try {
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final class PortTaken extends RuntimeException {
    PortTaken(String output) {
      super(output);
    }
  }
}
