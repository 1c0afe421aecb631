package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowQueryException;
import io.temporal.client.WorkflowServiceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of the worker while a VM boots: the Temporal CLI's dev server (the embedded
 * default's Temporal) and the client run for the test, the worker runs as its own JVM, is killed
 * mid-boot and replaced; the workflow either reaches READY or ends compensated with a typed
 * failure, and nothing leaks either way.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class WorkerCrashE2eTest {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(WorkerCrashE2eTest.class);
  private static final Set<Phase> BOOTING = EnumSet.of(Phase.BOOTING, Phase.READINESS);
  private static final Set<Phase> SETTLED = EnumSet.of(Phase.READY, Phase.FAILED, Phase.RELEASED);

  private static WorkerProcesses workers;
  private static TemporalDevServer temporal;
  private static Path runDir;
  private static TemporalConnection connection;
  private static KindlingConfig config;
  private static KindlingClient client;
  private static String session;

  @BeforeAll
  static void startTemporal() throws Exception {
    runDir = E2e.tempRunDir();
    KindlingConfig defaults = E2e.config(runDir, Map.of());
    Path cli =
        TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), defaults.paths()).orElseThrow();
    temporal =
        TemporalDevServer.start(
            new TemporalDevServer.Options(
                cli, 0, -1, null, "default", runDir.resolve("temporal-dev-server.log")));
    config = E2e.config(runDir, Map.of(Setting.TEMPORAL_TARGET, temporal.target()));
    connection = TemporalConnection.open(config);
    workers = new WorkerProcesses(config, runDir);
    client = new KindlingClient(connection.client());
  }

  @AfterAll
  static void stopEverything() {
    if (session != null && workers != null && workers.anyAlive()) {
      E2e.releaseAndAwaitEnd(
          connection.client(), session); // a failed assertion must not leave the VM behind
    }
    if (workers != null) {
      workers.close();
    }
    if (config != null) {
      E2e.destroyLeftovers(config); // the last resort when the workflow never finished
    }
    if (connection != null) {
      connection.close();
    }
    if (temporal != null) {
      temporal.close();
    }
    E2e.deleteRecursively(runDir);
  }

  @Test
  void killedWorkerDuringBootIsReplacedAndTheWorkflowCompletesOrCompensatesWithoutLeaks()
      throws Exception {
    Process first = workers.start("first", List.of(), Map.of());
    CurrentImage.ensure(connection.client(), config);
    session = E2e.session("crash");
    client.startVm(new VmRequest(session, null, BootMode.COLD, 600, 0, 0, 0, null, null, null));
    VmDescription booting = awaitPhase(session, BOOTING, Duration.ofMinutes(2));
    assertTrue(
        BOOTING.contains(booting.phase()),
        "the VM should be booting, not " + booting.phase() + ": " + booting.failureMessage());
    String vmId = booting.vmId();

    first.destroyForcibly(); // SIGKILL: no shutdown hook, no activity completion, no cleanup.
    first.waitFor();
    assertEquals(137, first.exitValue(), "the worker died of SIGKILL");

    workers.start("second", List.of(), Map.of());
    VmDescription settled = awaitPhase(session, SETTLED, E2e.READY_WITHIN.plusMinutes(2));
    log.info(
        "killed the worker in {}; with its replacement the VM reached {} {} ({})",
        booting.phase(),
        settled.phase(),
        settled.failureType() == null
            ? ""
            : settled.failureType() + ": " + settled.failureMessage(),
        settled.timings());
    if (settled.phase() == Phase.READY) {
      client.release(session);
      assertEquals(Phase.RELEASED, client.awaitEnd(session).phase());
    } else {
      assertEquals(Phase.FAILED, settled.phase(), "it ended without becoming ready: " + settled);
      assertNotNull(settled.failureType());
      assertTrue(
          Arrays.stream(FailureKind.values()).anyMatch(k -> k.type().equals(settled.failureType())),
          "a typed failure, not " + settled.failureType() + ": " + settled.failureMessage());
      awaitWorkflowEnd(session);
    }
    E2e.assertNothingLeft(config.paths(), vmId);
  }

  private static VmDescription awaitPhase(String session, Set<Phase> wanted, Duration timeout)
      throws InterruptedException {
    // A query needs a worker: while the killed one's sticky queue times out, queries can too.
    return Await.until(
        "session " + session + " in " + wanted,
        timeout,
        () -> client.describe(session),
        last -> last != null && (wanted.contains(last.phase()) || SETTLED.contains(last.phase())),
        WorkflowServiceException.class,
        WorkflowQueryException.class);
  }

  /** The workflow's own end, after its compensation ran. */
  private static void awaitWorkflowEnd(String session) {
    try {
      client.awaitEnd(session);
    } catch (io.temporal.client.WorkflowFailedException expected) {
      // A failed provision ends the workflow failed, after compensating.
    }
  }
}
