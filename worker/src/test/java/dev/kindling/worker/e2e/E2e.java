package dev.kindling.worker.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.cleanup.CleanupActivitiesImpl;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.workflows.host.GuestNetwork;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DefaultDataConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the end-to-end tests share: configuration, the golden image, and the leak assertions. */
final class E2e {
  private static final Logger log = LoggerFactory.getLogger(E2e.class);

  /** Restores take seconds, cold boots tens of seconds; a busy two-core host needs the headroom. */
  static final java.time.Duration READY_WITHIN = java.time.Duration.ofMinutes(4);

  private E2e() {}

  /**
   * Configuration on a free Temporal port and proxy port, with {@code runDir} for per-VM files and
   * the real image cache.
   */
  static KindlingConfig config(Path runDir, Map<Setting, String> extra) {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.TEMPORAL_TARGET, "localhost:0");
    flags.put(Setting.WORKER_METRICS_PORT, "0");
    flags.put(Setting.PROXY_PORT, "0");
    flags.put(Setting.RUN_DIR, runDir.toString());
    flags.putAll(extra);
    return KindlingConfig.load(null, Map.of(), flags);
  }

  static Path tempRunDir() throws IOException {
    return Files.createTempDirectory("kindling-e2e-");
  }

  static String session(String what) {
    return "e2e-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Releases the session and waits (bounded) until its workflow ended, so compensation or teardown
   * finishes before a test stops its worker. For test clean-up paths: failures are logged, not
   * thrown.
   */
  static void releaseAndAwaitEnd(WorkflowClient client, String session) {
    try {
      new dev.kindling.workflows.client.KindlingClient(client).release(session);
    } catch (RuntimeException e) {
      log.debug("release of {}: {}", session, e.toString());
    }
    try {
      client
          .newUntypedWorkflowStub(dev.kindling.workflows.vm.BrowserVmWorkflow.workflowId(session))
          .getResult(3, java.util.concurrent.TimeUnit.MINUTES, Object.class);
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      log.info("session {} ended: {}", session, e.toString());
    }
  }

  /**
   * Nothing of {@code vmId} is left: no VMM process, namespace (and so no TAP), overlay or VM
   * directory.
   */
  static void assertNothingLeft(HostPaths paths, String vmId) {
    LeakCheck leaks = LeakCheck.forVm(paths, vmId);
    assertTrue(leaks.clean(), leaks.summary());
    assertFalse(
        NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId)),
        "namespace " + GuestNetwork.namespaceFor(vmId) + " remains");
    assertFalse(
        namespaces().contains(GuestNetwork.namespaceFor(vmId)),
        "ip netns still lists " + GuestNetwork.namespaceFor(vmId));
  }

  /** Kindling's namespaces on this host now (other people's VMs included). */
  static List<String> namespaces() {
    try (Stream<Path> entries = Files.list(NetworkNamespaces.NETNS_DIR)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(GuestNetwork.NAMESPACE_PREFIX))
          .sorted()
          .toList();
    } catch (java.nio.file.NoSuchFileException none) {
      return List.of();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** VM directories under the run directory. */
  static List<String> vmDirs(HostPaths paths) {
    if (!Files.isDirectory(paths.vmsDir())) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(paths.vmsDir())) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The last value of each search attribute the workflow upserted, from its history. */
  static Map<String, String> upsertedSearchAttributes(WorkflowClient client, String workflowId) {
    Map<String, String> values = new LinkedHashMap<>();
    for (HistoryEvent event : client.fetchHistory(workflowId).getEvents()) {
      if (event.hasUpsertWorkflowSearchAttributesEventAttributes()) {
        Map<String, Payload> fields =
            event
                .getUpsertWorkflowSearchAttributesEventAttributes()
                .getSearchAttributes()
                .getIndexedFieldsMap();
        fields.forEach(
            (name, payload) ->
                values.put(
                    name,
                    DefaultDataConverter.STANDARD_INSTANCE.fromPayload(
                        payload, String.class, String.class)));
      }
    }
    return values;
  }

  /**
   * Destroys every VM left in {@code config}'s run directory as the host's reconciler would, so a
   * failed test leaves no VMM or namespace behind.
   */
  static void destroyLeftovers(KindlingConfig config) {
    List<String> left = vmDirs(config.paths());
    if (left.isEmpty()) {
      return;
    }
    log.warn("destroying what the test left: {}", left);
    HostServices host = HostServices.create(config);
    CleanupActivitiesImpl cleanup =
        new CleanupActivitiesImpl(
            config.hostId(), host.paths(), host.vmms(), new NetworkActivitiesImpl(host.paths()));
    for (String vmId : left) {
      try {
        cleanup.destroyOrphan(vmId);
      } catch (RuntimeException e) {
        log.warn("could not destroy {}: {}", vmId, e.toString());
      }
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      FileTrees.deleteRecursively(dir);
    } catch (RuntimeException e) {
      log.warn("could not delete {}: {}", dir, e.toString());
    }
  }

  /**
   * Runs {@code e2e/browser/<script>} in node with {@code args} (what it logs goes to this
   * process's stderr) and returns the JSON verdict it prints last.
   */
  static com.fasterxml.jackson.databind.JsonNode browserScript(
      String script, List<String> args, java.time.Duration timeout) throws Exception {
    Path file = Path.of(System.getProperty("kindling.repo.root", "."), "e2e", "browser", script);
    List<String> argv = new java.util.ArrayList<>(List.of("node", file.toString()));
    argv.addAll(args);
    Process node = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out;
    try {
      out =
          new String(node.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .strip();
      if (!node.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        throw new AssertionError(script + " did not finish within " + timeout);
      }
    } finally {
      node.destroyForcibly();
    }
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
  }
}
