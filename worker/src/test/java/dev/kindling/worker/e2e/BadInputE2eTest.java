package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.cli.KindlingCli;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input gets a clear typed error before anything changes on the host: no VM directory, no
 * namespace, no VMM. Checked at all three doors: the Java client, a raw workflow start (what a
 * backend in another language does, also with JSON that is not a VmRequest at all), and the CLI, on
 * the dev stack's real Temporal.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class BadInputE2eTest {
  private static final String OVERLONG = "s".repeat(65);

  /** A well-formed content hash that no image has. */
  private static final String UNKNOWN_IMAGE = "0".repeat(64);

  @RegisterExtension static final E2eStack e2e = new E2eStack();

  @AfterEach
  void nothingChangedOnTheHost() {
    assertEquals(List.of(), E2e.vmDirs(e2e.stack().host().paths()), "no VM directory was created");
  }

  @ParameterizedTest
  @ValueSource(strings = {"has space", "has/slash", "../up", ""})
  void clientRejectsMalformedSessionIds(String session) {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> e2e.client().startVm(VmRequest.forSession(session)));
    assertTrue(e.getMessage().contains("sessionId"), e.getMessage());
  }

  @Test
  void clientRejectsOverlongSessionId() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> e2e.client().startVm(VmRequest.forSession(OVERLONG)));
    assertTrue(e.getMessage().contains("sessionId"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "has space",
        "has/slash",
        "s0123456789012345678901234567890123456789012345678901234567890123456789"
      })
  void workflowStartedWithoutTheClientFailsInvalidInputBeforePlacement(String session) {
    // A backend in another language names the workflow itself and sends the request as JSON.
    String workflowId = "browser-vm-" + E2e.session("raw");
    WorkflowStub stub =
        e2e.stack()
            .connection()
            .client()
            .newUntypedWorkflowStub(
                BrowserVmWorkflow.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(workflowId)
                    .setTaskQueue(TaskQueues.SHARED)
                    .build());
    stub.start(new VmRequest(session, null, BootMode.AUTO, 0, 0, 0, 0, null, null, null));
    ApplicationFailure failure = failureOf(() -> stub.getResult(VmDescription.class));
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains("sessionId"), failure.getOriginalMessage());
    VmDescription description =
        e2e.stack()
            .connection()
            .client()
            .newWorkflowStub(BrowserVmWorkflow.class, workflowId)
            .describe();
    assertNothingProvisioned(description);
  }

  /** JSON a Node or Python backend may send that cannot be read as a VmRequest at all. */
  static Stream<Arguments> unreadableStarts() {
    return Stream.of(
        Arguments.of(Map.of("sessionId", "x", "memoryMib", "lots"), "memoryMib"),
        Arguments.of(Map.of("sessionId", "x", "vcpus", 99999999999L), "vcpus"),
        Arguments.of(Map.of("sessionId", "x", "ttlSeconds", 1e30), "ttlSeconds"),
        Arguments.of(Map.of("sessionId", "x", "bootMode", "WARP"), "bootMode"),
        Arguments.of("alice", "VmRequest"));
  }

  @ParameterizedTest
  @MethodSource("unreadableStarts")
  void unreadableStartInputEndsTheWorkflowWithInvalidInputAtOnce(Object input, String field)
      throws Exception {
    String session = E2e.session("unreadable");
    WorkflowStub stub =
        e2e.stack()
            .connection()
            .client()
            .newUntypedWorkflowStub(
                BrowserVmWorkflow.WORKFLOW_TYPE,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(BrowserVmWorkflow.workflowId(session))
                    .setTaskQueue(TaskQueues.SHARED)
                    .build());
    stub.start(input);

    ApplicationFailure failure =
        failureOf(() -> stub.getResult(5, TimeUnit.SECONDS, VmDescription.class));
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().startsWith(field + ": "), failure.getOriginalMessage());
    VmDescription described = e2e.client().describe(session);
    assertEquals(Phase.FAILED, described.phase(), "describe answers: " + described);
    assertEquals(FailureKind.INVALID_INPUT.type(), described.failureType());
    assertTrue(
        e2e
            .stack()
            .connection()
            .client()
            .fetchHistory(BrowserVmWorkflow.workflowId(session))
            .getEvents()
            .stream()
            .noneMatch(
                e ->
                    e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                        || e.getEventType() == EventType.EVENT_TYPE_MARKER_RECORDED),
        "nothing was scheduled, not even placement");
    assertEquals(
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
        stub.describe().getStatus(),
        "no workflow is left running");
  }

  @Test
  void negativeTtlFailsInvalidInputBeforePlacement() {
    String session = E2e.session("ttl");
    e2e.client()
        .startVm(new VmRequest(session, null, BootMode.AUTO, -5, 0, 0, 0, null, null, null));
    ApplicationFailure failure = failureOf(() -> e2e.client().awaitEnd(session));
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains("ttlSeconds"), failure.getOriginalMessage());
    assertNothingProvisioned(e2e.client().describe(session));
  }

  @Test
  void malformedImageIdFailsInvalidInputBeforePlacement() {
    String session = E2e.session("badimg");
    e2e.client()
        .startVm(
            new VmRequest(
                session, "not-a-content-hash", BootMode.AUTO, 0, 0, 0, 0, null, null, null));
    ApplicationFailure failure = failureOf(() -> e2e.client().awaitEnd(session));
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertNothingProvisioned(e2e.client().describe(session));
  }

  @Test
  void unknownImageFailsUnknownImageAtPlacementBeforeTheNetwork() {
    String session = E2e.session("noimg");
    e2e.client()
        .startVm(
            new VmRequest(session, UNKNOWN_IMAGE, BootMode.AUTO, 0, 0, 0, 0, null, null, null));
    ApplicationFailure failure = failureOf(() -> e2e.client().awaitEnd(session));
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains(UNKNOWN_IMAGE), failure.getOriginalMessage());
    VmDescription description = e2e.client().describe(session);
    assertEquals(Phase.FAILED, description.phase());
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), description.failureType());
    assertNull(description.endpoint());
    assertTrue(
        description.timings().stream()
            .noneMatch(t -> t.stage().endsWith("network") || t.stage().equals("vmm-start")),
        "it never got past placement: " + description.timings());
    assertFalse(NetworkNamespaces.exists(GuestNetwork.namespaceFor(description.vmId())));
    E2e.assertNothingLeft(e2e.stack().host().paths(), description.vmId());
  }

  @Test
  void cliExitsWithInvalidInputForEachBadField() {
    String temporal = "temporal.target=" + e2e.stack().temporalTarget();
    String run = "run.dir=" + e2e.runDir();
    assertEquals(
        KindlingCli.EXIT_INVALID_INPUT,
        KindlingCli.execute(
            "vm", "create", "--session", "has space", "--set", temporal, "--set", run));
    assertEquals(
        KindlingCli.EXIT_INVALID_INPUT,
        KindlingCli.execute(
            "vm", "create", "--session", "has/slash", "--set", temporal, "--set", run));
    assertEquals(
        KindlingCli.EXIT_INVALID_INPUT,
        KindlingCli.execute(
            "vm", "create", "--session", OVERLONG, "--set", temporal, "--set", run));
    assertEquals(
        KindlingCli.EXIT_INVALID_INPUT,
        KindlingCli.execute(
            "vm",
            "create",
            "--session",
            E2e.session("cli"),
            "--ttl",
            "-5",
            "--set",
            temporal,
            "--set",
            run));
    assertEquals(
        KindlingCli.EXIT_INVALID_INPUT,
        KindlingCli.execute(
            "vm",
            "create",
            "--session",
            E2e.session("cli"),
            "--image",
            "not-a-hash",
            "--set",
            temporal,
            "--set",
            run));
  }

  @Test
  void cliReportsUnknownImageAsATypedFailure() {
    String session = E2e.session("cli-noimg");
    int exit =
        KindlingCli.execute(
            "vm",
            "create",
            "--session",
            session,
            "--image",
            UNKNOWN_IMAGE,
            "--timeout",
            "60",
            "--set",
            "temporal.target=" + e2e.stack().temporalTarget(),
            "--set",
            "run.dir=" + e2e.runDir());
    assertEquals(KindlingCli.EXIT_FAILED, exit);
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), e2e.client().describe(session).failureType());
  }

  /** Failed before a VM id was chosen: nothing on any host can be named after it. */
  private static void assertNothingProvisioned(VmDescription description) {
    assertEquals(Phase.FAILED, description.phase());
    assertEquals(FailureKind.INVALID_INPUT.type(), description.failureType());
    assertNull(description.vmId(), "no VM id was allocated");
    assertNull(description.hostId(), "no host was chosen");
    assertTrue(description.timings().isEmpty(), "no phase completed: " + description.timings());
  }

  private static ApplicationFailure failureOf(org.junit.jupiter.api.function.Executable call) {
    WorkflowFailedException thrown = assertThrows(WorkflowFailedException.class, call);
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure app) {
        return app;
      }
    }
    throw new AssertionError("no typed failure in " + thrown, thrown);
  }
}
