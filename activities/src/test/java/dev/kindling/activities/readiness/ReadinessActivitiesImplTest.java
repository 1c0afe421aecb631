package dev.kindling.activities.readiness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
class ReadinessActivitiesImplTest {
  private static final String VM_ID = "vm00c0ffee01";

  @TempDir Path temp;

  @Test
  void aFailedProbeBecomesTheStagesTypedFailureWithDiagnosticsAsDetails() throws Exception {
    HostPaths paths = new HostPaths(temp.resolve("cache"), temp.resolve("run"));
    Path vmDir = paths.vmDir(VM_ID);
    VmSecrets secrets = VmSecrets.ensure(vmDir);
    Files.writeString(vmDir.resolve("serial.log"), "KINDLING-READY units=5\n");
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      var activities = new ReadinessActivitiesImpl(paths, vmId -> VmmLiveness.UNKNOWN);

      ApplicationFailure failure =
          assertThrows(
              ApplicationFailure.class,
              () -> activities.awaitReady(new ReadinessRequest(vmRef(guest), 1500, null)));

      assertEquals("WebsockifyRefused", failure.getType());
      assertTrue(failure.isNonRetryable());
      Diagnostics evidence = failure.getDetails().get(0, Diagnostics.class);
      assertEquals(VM_ID, evidence.vmId());
      assertEquals("tcp-6080", evidence.stage());
      assertTrue(evidence.serialTail().contains("KINDLING-READY"), evidence.serialTail());
      assertEquals(
          secrets.vncPassword(),
          guest.vncPassword.get(),
          "the VM's stored password reached the agent");
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void theRequestsLaunchReachesTheAgentAndAFailedAppIsAppNotRunningWithItsLog() throws Exception {
    HostPaths paths = new HostPaths(temp.resolve("cache"), temp.resolve("run"));
    VmSecrets.ensure(paths.vmDir(VM_ID));
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.failed(3, "xterm: cannot open font\nboom");
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();
      var activities = new ReadinessActivitiesImpl(paths, vmId -> VmmLiveness.UNKNOWN);
      Launch launch = new Launch("https://example.org/", List.of("--debug"));

      ApplicationFailure failure =
          assertThrows(
              ApplicationFailure.class,
              () -> activities.awaitReady(new ReadinessRequest(vmRef(guest), 60_000, launch)));

      assertEquals(FailureKind.APP_NOT_RUNNING.type(), failure.getType());
      assertTrue(failure.isNonRetryable());
      Diagnostics evidence = failure.getDetails().get(0, Diagnostics.class);
      assertEquals("desktop", evidence.stage());
      assertTrue(evidence.app().contains("exited with status 3"), evidence.app());
      assertTrue(evidence.appLogTail().endsWith("boom"), evidence.appLogTail());
      String posted = guest.app.secretsBodies.getLast();
      assertTrue(
          posted.contains("\"launch\"")
              && posted.contains("https://example.org/")
              && posted.contains("--debug"),
          posted);
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aPoolVmsReadinessParksAHandshakeThatItsHandOverAnswersAndOneLeftBehindIsClosed()
      throws Exception {
    HostPaths paths = new HostPaths(temp.resolve("cache"), temp.resolve("run"));
    Path vmDir = paths.vmDir(VM_ID);
    VmSecrets.ensure(vmDir);
    var activities = new ReadinessActivitiesImpl(paths, vmId -> VmmLiveness.UNKNOWN);
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      activities.awaitReady(new ReadinessRequest(vmRef(guest), 60_000, null, true));
      assertEquals(1, activities.parkedCount(), "parked for the hand-over");
      VmSecrets.rotate(vmDir);
      int connections = guest.vncConnections();
      var report = activities.awaitHandOver(new ReadinessRequest(vmRef(guest), 60_000, null));

      assertEquals(0, activities.parkedCount(), "taken by the hand-over");
      assertEquals(connections, guest.vncConnections(), "answered on the parked connection");
      assertEquals(
          List.of("secrets", "rfb-handshake"),
          report.stages().stream().map(s -> s.stage()).toList());
      assertEquals(VmSecrets.read(vmDir).vncPassword(), guest.vncPassword.get());

      activities.awaitReady(new ReadinessRequest(vmRef(guest), 60_000, null, true));
      assertEquals(1, activities.parkedCount());
    }
    // The guest's namespace is gone: the parked handshake no VM will claim is closed.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (activities.parkedCount() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(0, activities.parkedCount(), "closed once its namespace was deleted");
  }

  @Test
  void collectDiagnosticsReportsUnitsAndHowTheVmmExited() throws Exception {
    HostPaths paths = new HostPaths(temp.resolve("cache"), temp.resolve("run"));
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      VmmLiveness exited =
          new VmmLiveness() {
            @Override
            public Optional<String> exitReason() {
              return Optional.of("qemu killed by SIGKILL");
            }

            @Override
            public OptionalInt exitCode() {
              return OptionalInt.of(137);
            }
          };
      var activities = new ReadinessActivitiesImpl(paths, vmId -> exited);

      Diagnostics evidence = activities.collectDiagnostics(vmRef(guest));

      assertEquals(137, evidence.vmmExitCode());
      assertTrue(evidence.detail().contains("SIGKILL"), evidence.detail());
      assertNotNull(evidence.agentUnits());
      assertTrue(
          evidence.agentUnits().contains("kindling-xvfb.service active"), evidence.agentUnits());
      assertTrue(evidence.routes() != null && evidence.neighbours() != null);
      assertTrue(evidence.serialTail().startsWith("(no serial log"), evidence.serialTail());
    }
  }

  @Test
  void collectDiagnosticsOfAVmWhoseNamespaceIsGoneSaysSo() {
    HostPaths paths = new HostPaths(temp.resolve("cache"), temp.resolve("run"));
    var activities = new ReadinessActivitiesImpl(paths, vmId -> null);
    Diagnostics evidence =
        activities.collectDiagnostics(new VmRef("r1", VM_ID, VmNetwork.standard(VM_ID)));
    assertTrue(evidence.links().contains("does not exist"), evidence.links());
    assertNull(evidence.agentUnits());
    assertNull(evidence.vmmExitCode());
  }

  private static VmRef vmRef(StandInGuest guest) {
    return new VmRef(
        "request-1",
        VM_ID,
        new VmNetwork(
            guest.name(),
            GuestNetwork.TAP,
            GuestNetwork.HOST_ADDRESS,
            GuestNetwork.GUEST_ADDRESS,
            GuestNetwork.PREFIX_LENGTH,
            GuestNetwork.GUEST_MAC));
  }
}
