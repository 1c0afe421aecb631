package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmFailedException;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The incidents in the seeds, reproduced on real cold-booted VMs through the guest kernel command
 * line: each ends as its typed failure with evidence, and the saga leaves nothing behind.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class SeedFailuresE2eTest {
  /**
   * The cold-boot deadline in full (2 minutes): a cold boot under TCG on a busy two-core host can
   * take over a minute to reach the agent, and the probe must get as far as port 6080.
   */
  private static final String WEBSOCKIFY_READINESS_SECONDS = "120";

  /** An unreachable guest stays unreachable: a short deadline keeps the test quick. */
  private static final String UNREACHABLE_READINESS_SECONDS = "20";

  private Path runDir;
  private DevStack stack;

  /**
   * Builds (or finds) the current image under a plain configuration: a canary with these tests'
   * kernel arguments would fail.
   */
  @BeforeAll
  static void ensureImage() throws Exception {
    Path plainRunDir = E2e.tempRunDir();
    try {
      CurrentImage.ensure(E2e.config(plainRunDir, Map.of()));
    } finally {
      E2e.deleteRecursively(plainRunDir);
    }
  }

  @AfterEach
  void stopStack() throws Exception {
    if (stack != null) {
      stack.close();
    }
    E2e.deleteRecursively(runDir);
  }

  @Test
  void websockifyNotRunningFailsWebsockifyRefusedWithSerialTailAndCompensates() throws Exception {
    // The same image with websockify's unit masked on the kernel command line (the seed:
    // "websockify
    // was not running and nobody could tell"). The image boots quietly; systemd's status lines give
    // the serial console something to show.
    start(
        "systemd.mask=kindling-websockify.service systemd.show_status=true",
        WEBSOCKIFY_READINESS_SECONDS);
    Failed failed = provisionExpectingFailure(E2e.session("nows"));

    assertEquals(
        FailureKind.WEBSOCKIFY_REFUSED.type(),
        failed.failure().getType(),
        failed.failure().getMessage());
    assertEquals(FailureKind.WEBSOCKIFY_REFUSED.type(), failed.description().failureType());
    Diagnostics diagnostics = failed.diagnostics();
    assertEquals(ReadinessStage.TCP_WEBSOCKIFY.label(), diagnostics.stage());
    assertNotNull(diagnostics.serialTail());
    assertFalse(
        diagnostics.serialTail().isBlank(), "the serial console tail is part of the evidence");
    assertTrue(
        diagnostics.serialTail().toLowerCase(java.util.Locale.ROOT).contains("kindling"),
        "the tail is the guest's console: " + diagnostics.serialTail());
    assertNotNull(
        diagnostics.agentUnits(), "the agent answered, so its unit states are evidence too");
    assertTrue(diagnostics.agentUnits().contains("websockify"), diagnostics.agentUnits());
    E2e.assertNothingLeft(stack.host().paths(), failed.description().vmId());
  }

  @Test
  void wrongGuestAddressFailsGuestUnreachableWithIncompleteNeighbourAndCompensates()
      throws Exception {
    // The guest configures the last kindling.ip= on its command line, so this one wins.
    start("kindling.ip=169.254.77.6/30", UNREACHABLE_READINESS_SECONDS);
    Failed failed = provisionExpectingFailure(E2e.session("unreach"));

    assertEquals(
        FailureKind.GUEST_UNREACHABLE.type(),
        failed.failure().getType(),
        failed.failure().getMessage());
    assertEquals(FailureKind.GUEST_UNREACHABLE.type(), failed.description().failureType());
    Diagnostics diagnostics = failed.diagnostics();
    assertEquals(ReadinessStage.GUEST_REACHABLE.label(), diagnostics.stage());
    assertNotNull(diagnostics.neighbours());
    Pattern unresolved =
        Pattern.compile(
            "(?m)^" + Pattern.quote(GuestNetwork.GUEST_ADDRESS) + "\\b.*\\b(INCOMPLETE|FAILED)\\b");
    assertTrue(
        unresolved.matcher(diagnostics.neighbours()).find(),
        "the neighbour table shows the guest address unresolved: " + diagnostics.neighbours());
    assertTrue(
        failed.description().failureMessage().contains(GuestNetwork.GUEST_ADDRESS),
        failed.description().failureMessage());
    assertTrue(
        failed
            .description()
            .failureMessage()
            .contains("within the " + UNREACHABLE_READINESS_SECONDS + "000 ms readiness deadline"),
        "the host's configured readiness timeout, not the workflow's default, bounded the wait: "
            + failed.description().failureMessage());
    E2e.assertNothingLeft(stack.host().paths(), failed.description().vmId());
  }

  private void start(String kernelArgs, String readinessSeconds) throws Exception {
    runDir = E2e.tempRunDir();
    stack =
        DevStack.start(
            E2e.config(
                runDir,
                Map.of(
                    Setting.KERNEL_ARGS, kernelArgs,
                    Setting.READINESS_TIMEOUT_SECONDS, readinessSeconds)));
    CurrentImage.ensure(stack);
  }

  /**
   * Cold-boots a VM for {@code session} (kernel arguments only reach a booting kernel) and waits
   * for it to fail.
   */
  private Failed provisionExpectingFailure(String session) throws Exception {
    KindlingClient client = new KindlingClient(stack.connection().client());
    client.startVm(new VmRequest(session, null, BootMode.COLD, 600, 0, 0, 0, null, null, null));
    try {
      client.awaitReady(session, E2e.READY_WITHIN);
      client.release(session);
      client.awaitEnd(session);
      fail("session " + session + " became READY: the incident was not reproduced");
    } catch (VmFailedException expected) {
      // Failed, as the incident does; the workflow ends once its compensation ran.
    } catch (java.util.concurrent.TimeoutException e) {
      E2e.releaseAndAwaitEnd(stack.connection().client(), session);
      throw e;
    }
    WorkflowFailedException thrown =
        assertThrows(WorkflowFailedException.class, () -> client.awaitEnd(session));
    ApplicationFailure failure = applicationFailure(thrown);
    VmDescription description = client.describe(session);
    assertEquals(Phase.FAILED, description.phase());
    assertNotNull(description.vmId());
    Diagnostics diagnostics =
        Failures.diagnostics(failure)
            .orElseThrow(
                () -> new AssertionError("the failure carries no diagnostics: " + failure));
    assertEquals(description.vmId(), diagnostics.vmId());
    return new Failed(failure, description, diagnostics);
  }

  private static ApplicationFailure applicationFailure(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure app) {
        return app;
      }
    }
    throw new AssertionError("no typed failure in " + thrown, thrown);
  }

  private record Failed(
      ApplicationFailure failure, VmDescription description, Diagnostics diagnostics) {}
}
