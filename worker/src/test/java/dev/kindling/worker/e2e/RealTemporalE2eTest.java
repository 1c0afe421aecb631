package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.BROWSER_E2E;
import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.worker.runtime.ProxiedDesktop;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.cleanup.CleanupReport;
import dev.kindling.workflows.cleanup.CleanupWorkflow;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflowservice.v1.TerminateWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The embedded default on its real Temporal (the CLI's dev server): what a platform team sees in
 * the web UI, a READY VM surviving a restart of the whole stack, the cleanup reconciler after a
 * restart, and two deployments sharing one host's run directory without touching each other's VMs.
 * Screenshots of the UI are kept under {@code worker/target/e2e/}.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class RealTemporalE2eTest {
  private static final Path ARTEFACTS =
      Path.of(System.getProperty("kindling.repo.root", "."), "worker", "target", "e2e");

  private Path runDir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void runDirectory() throws IOException {
    runDir = E2e.tempRunDir();
    Files.createDirectories(ARTEFACTS);
  }

  @AfterEach
  void closeAndClean() throws Exception {
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
    E2e.destroyLeftovers(E2e.config(runDir, Map.of()));
    E2e.deleteRecursively(runDir);
  }

  @Test
  void aReadyVmSurvivesARestartOfTheStackAndTheReconcilerRemovesOnlyWhatEndedMeanwhile()
      throws Exception {
    KindlingConfig config =
        E2e.config(
            runDir,
            Map.of(
                Setting.TEMPORAL_TARGET, "localhost:" + freePort(),
                Setting.TEMPORAL_UI_PORT, Integer.toString(freePort()),
                Setting.TEMPORAL_STATE_DIR, runDir.resolve("temporal").toString()));
    DevStack first = start(config);
    CurrentImage.ensure(first, "terminal");
    KindlingClient client = new KindlingClient(first.connection().client());
    String kept = E2e.session("kept");
    String ended = E2e.session("ended");
    VmDescription keptReady =
        client.createVm(VmRequest.forSession(kept).withTemplate("terminal"), E2e.READY_WITHIN);
    VmDescription endedReady =
        client.createVm(VmRequest.forSession(ended).withTemplate("terminal"), E2e.READY_WITHIN);

    theWebUiExplainsTheVm(first, keptReady);
    theMetricsEndpointServesTemporalsAndKindlingsMeters(first);
    anUnreadableUpdateArgumentIsRejectedAndTheVmStaysReady(client, kept);

    Path database = first.devServer().orElseThrow().database().orElseThrow();
    first.close();
    open.remove(first);
    // While the stack is down an operator ends one session's workflow on the server (which keeps
    // its state).
    try (TemporalDevServer server =
        TemporalDevServer.start(
            new TemporalDevServer.Options(
                cli(config),
                port(config),
                -1,
                database,
                "default",
                runDir.resolve("operator-server.log")))) {
      terminate(server.target(), ended);
    }
    assertTrue(
        new VmProcesses(config.paths()).alive(keptReady.vmId()),
        "the VMs ran on while the stack was down");

    DevStack second = start(config);
    KindlingClient again = new KindlingClient(second.connection().client());
    VmDescription afterRestart = again.describe(kept);
    assertEquals(Phase.READY, afterRestart.phase());
    assertEquals(
        keptReady.leaseExpiresAtEpochMillis(),
        afterRestart.leaseExpiresAtEpochMillis(),
        "the same lease deadline");
    assertEquals(keptReady.vmId(), again.awaitReady(kept, Duration.ofSeconds(10)).vmId());

    ProxiedDesktop desktop =
        ProxiedDesktop.capture(
            new InetSocketAddress("127.0.0.1", second.proxy().port()),
            second.proxy().config().websocketPath(kept),
            second.proxy().tokens().mint(kept),
            Duration.ofSeconds(30));
    assertFalse(
        desktop.frame().blank(), "the desktop after the restart: " + desktop.frame().summary());

    CleanupReport report = runCleanup(second.connection().client());
    // The schedule may have run a cleanup of its own since the restart; either way the ended VM is
    // gone now.
    assertTrue(report.orphansDestroyed() <= 1, report.toString());
    assertEquals(1, report.live(), report.toString());
    E2e.assertNothingLeft(second.host().paths(), endedReady.vmId());
    assertEquals(
        Phase.READY, again.describe(kept).phase(), "the reconciler left the live VM alone");

    again.release(kept);
    assertEquals(Phase.RELEASED, again.awaitEnd(kept).phase());
    E2e.assertNothingLeft(second.host().paths(), keptReady.vmId());
  }

  @Test
  void twoDeploymentsSharingARunDirectoryNeverReconcileEachOthersVms() throws Exception {
    DevStack ours = start(E2e.config(runDir, Map.of(Setting.TEMPORAL_UI_PORT, "-1")));
    DevStack theirs = start(E2e.config(runDir, Map.of(Setting.TEMPORAL_UI_PORT, "-1")));
    CurrentImage.ensure(ours, "terminal");
    KindlingClient client = new KindlingClient(ours.connection().client());
    String session = E2e.session("ours");
    VmDescription ready =
        client.createVm(VmRequest.forSession(session).withTemplate("terminal"), E2e.READY_WITHIN);

    CleanupReport theirReport = runCleanup(theirs.connection().client());
    assertEquals(1, theirReport.foreign(), theirReport.toString());
    assertEquals(0, theirReport.orphansDestroyed(), theirReport.toString());
    assertEquals(Phase.READY, client.describe(session).phase());
    assertTrue(
        new VmProcesses(ours.host().paths()).alive(ready.vmId()),
        "their reconciler left our VMM running");

    CleanupReport ourReport = runCleanup(ours.connection().client());
    assertEquals(new CleanupReport(1, 1, 1, 0, ourReport.leasesEnded(), 0), ourReport);

    client.release(session);
    assertEquals(Phase.RELEASED, client.awaitEnd(session).phase());
    E2e.assertNothingLeft(ours.host().paths(), ready.vmId());
  }

  private void theWebUiExplainsTheVm(DevStack stack, VmDescription ready) throws Exception {
    URI ui = stack.temporalUi().orElseThrow();
    Path workflowShot = ARTEFACTS.resolve("temporal-ui-workflow.png");
    Path schedulesShot = ARTEFACTS.resolve("temporal-ui-schedules.png");
    List<String> args =
        List.of(
            "--ui",
            ui.toString(),
            "--namespace",
            "default",
            "--workflow-id",
            BrowserVmWorkflow.workflowId(ready.sessionId()),
            "--expect-summary",
            "browser VM for session " + ready.sessionId(),
            "--expect-details",
            "READY on host " + ready.hostId(),
            "--expect-attribute",
            "KindlingPhase=READY",
            "--expect-attribute",
            "KindlingHost=" + ready.hostId(),
            "--expect-attribute",
            "KindlingSession=" + ready.sessionId(),
            "--expect-attribute",
            "KindlingTemplate=terminal",
            "--schedule",
            CleanupWorkflow.WORKFLOW_ID,
            "--screenshot",
            workflowShot.toString(),
            "--schedules-screenshot",
            schedulesShot.toString());
    if (!BROWSER_E2E.present()) {
      System.out.println("skipping the web UI check: needs " + BROWSER_E2E.description());
      return;
    }
    JsonNode verdict = E2e.browserScript("temporal-ui.mjs", args, Duration.ofMinutes(2));
    assertTrue(
        verdict.path("ok").asBoolean(),
        "the web UI did not show the VM (screenshots "
            + workflowShot
            + ", "
            + schedulesShot
            + "): "
            + verdict);
    assertTrue(
        verdict.path("detailsIn").toString().contains("Current Details"),
        "the details are the workflow's current details: " + verdict);
  }

  private static void theMetricsEndpointServesTemporalsAndKindlingsMeters(DevStack stack)
      throws Exception {
    URI metrics = stack.worker().metricsUri().orElseThrow();
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    List<String> samples = response.body().lines().filter(line -> !line.startsWith("#")).toList();
    assertTrue(
        samples.stream().anyMatch(line -> line.startsWith("temporal_")),
        "the Temporal SDK's meters");
    assertTrue(
        samples.stream()
            .anyMatch(
                line ->
                    line.startsWith("kindling_readiness_stage_seconds_count")
                        && line.contains("stage=\"desktop\"")
                        && !line.endsWith(" 0.0")),
        "readiness stage latencies of the VMs just made");
    assertTrue(
        samples.stream()
            .anyMatch(
                line ->
                    line.startsWith("kindling_vmm_start_seconds_count")
                        && line.contains("mode=\"RESTORE\"")
                        && !line.endsWith(" 0.0")),
        "VMM start latencies of the VMs just made");
  }

  private static void anUnreadableUpdateArgumentIsRejectedAndTheVmStaysReady(
      KindlingClient client, String session) {
    WorkflowUpdateException rejected =
        assertThrows(
            WorkflowUpdateException.class,
            () -> client.workflowStub(session).update("extend", Long.class, "lots"));
    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, rejected.getCause());
    assertEquals(InvalidInputException.class.getName(), cause.getType());
    assertEquals(Phase.READY, client.describe(session).phase());
  }

  private static CleanupReport runCleanup(WorkflowClient client) {
    return client
        .newWorkflowStub(
            CleanupWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("cleanup-now-" + UUID.randomUUID())
                .setTaskQueue(TaskQueues.SHARED)
                .build())
        .run();
  }

  private static void terminate(String target, String session) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    try {
      service
          .blockingStub()
          .terminateWorkflowExecution(
              TerminateWorkflowExecutionRequest.newBuilder()
                  .setNamespace("default")
                  .setReason("ended by an operator while the stack was down")
                  .setWorkflowExecution(
                      WorkflowExecution.newBuilder()
                          .setWorkflowId(BrowserVmWorkflow.workflowId(session)))
                  .build());
    } finally {
      service.shutdownNow();
    }
  }

  private DevStack start(KindlingConfig config) throws Exception {
    DevStack stack = DevStack.start(config);
    open.add(stack);
    return stack;
  }

  private static Path cli(KindlingConfig config) {
    return TemporalCli.find(config.get(Setting.TEMPORAL_CLI), config.paths()).orElseThrow();
  }

  private static int port(KindlingConfig config) {
    return Integer.parseInt(
        config.temporalTarget().substring(config.temporalTarget().lastIndexOf(':') + 1));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
