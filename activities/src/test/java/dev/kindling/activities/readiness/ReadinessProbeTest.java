package dev.kindling.activities.readiness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.diagnostics.DiagnosticsCollector;
import dev.kindling.activities.testing.HostCapability;
import dev.kindling.activities.testing.RequiresHost;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.StageTiming;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The probe against real sockets in a real namespace, real websockify, and stand-in agent and x11vnc. */
@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
class ReadinessProbeTest {
  private static final ProbeSettings SETTINGS = new ProbeSettings(
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(2), Duration.ofMillis(20), Duration.ofMillis(5), Duration.ofSeconds(1));
  private final ReadinessProbe probe = new ReadinessProbe(SETTINGS, new DiagnosticsCollector());

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aCompleteHandshakeThroughWebsockifyIsReady() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessReport report = probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));

      assertEquals(FakeRfbServer.WIDTH, report.framebufferWidth());
      assertEquals(FakeRfbServer.HEIGHT, report.framebufferHeight());
      assertEquals(FakeRfbServer.NAME, report.desktopName());
      assertEquals(Arrays.stream(ReadinessStage.values()).map(ReadinessStage::label).toList(),
          report.stages().stream().map(StageTiming::stage).toList());
      assertEquals(GuestFixture.PASSWORD, guest.vncPassword.get(), "the probe delivered the VM's password to the agent");

      try (VncDesktop desktop = VncDesktop.open(guest.target(), Duration.ofSeconds(5))) {
        List<RfbSession.Rectangle> update = desktop.captureFullFramebuffer();
        assertEquals(1, update.size());
        RfbSession.Rectangle screen = update.getFirst();
        assertEquals(FakeRfbServer.WIDTH * FakeRfbServer.HEIGHT * 4, screen.pixels().length);
        assertEquals(0x40, screen.pixels()[0]);
      }
    }
  }

  @Test
  void nothingListeningOn6080IsWebsockifyRefused() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      Files.writeString(guest.serialLog, "[\u001B[0;32m  OK  \u001B[0m] Started kindling-agent.service\n");

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(FailureKind.WEBSOCKIFY_REFUSED, failure.kind());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(failure.getMessage().contains("refused"), failure.getMessage());
      var evidence = failure.diagnostics();
      assertEquals("tcp-6080", evidence.stage());
      assertTrue(evidence.serialTail().contains("[  OK  ] Started kindling-agent.service"), evidence.serialTail());
      assertTrue(evidence.agentUnits().contains("kindling-websockify.service active"), evidence.agentUnits());
      assertTrue(evidence.addresses().contains("169.254.77.2/32"), evidence.addresses());
      assertTrue(evidence.links().contains("LOOPBACK"), evidence.links());
    }
  }

  @Test
  void aRefusedPortWhoseUnitTheAgentReportsInactiveFailsWithoutWaitingForTheDeadline() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgentReportingWebsockify("inactive");
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofMinutes(5)));

      assertEquals(FailureKind.WEBSOCKIFY_REFUSED, failure.kind());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(failure.getMessage().contains("kindling-websockify.service inactive"), failure.getMessage());
      assertTrue(failure.getMessage().contains("not restarting"), failure.getMessage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aWebsockifySlowerThanOneReadTimeoutIsGivenLongerAndIsReady() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startSlowWebsockify(SETTINGS.ioTimeout().multipliedBy(3).dividedBy(2));

      ReadinessReport report = probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));

      assertEquals("rfb-handshake", report.stages().getLast().stage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aBackendThatDropsTheConnectionAfterItsBannerFailsTheHandshake() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.BANNER_THEN_DROP);
      guest.startWebsockify();

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(5)));

      assertEquals(FailureKind.HANDSHAKE_FAILED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.RFB_HANDSHAKE, failure.stage());
      assertTrue(failure.getMessage().contains("security types"), failure.getMessage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aWrongPasswordFailsTheHandshakeWithoutWaitingForTheDeadline() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startMisconfiguredAgent("Other123");
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(60)));

      assertEquals(FailureKind.HANDSHAKE_FAILED, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("VNC authentication failed"), failure.getMessage());
      assertFalse(failure.getMessage().contains("deadline"), failure.getMessage());
    }
  }

  @Test
  void anAgentThatNeverAnswersFailsAgentHealthWithItsLastCause() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startSilentAgent();

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(ReadinessStage.AGENT_HEALTH, failure.stage(), failure.getMessage());
      assertTrue(failure.getMessage().contains("in time"), failure.getMessage());
    }
  }

  @Test
  void aListenerThatNeverUpgradesFailsTheWebSocketUpgrade() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      guest.startSilentListener();

      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(FailureKind.WEBSOCKET_UPGRADE_FAILED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.WEBSOCKET_UPGRADE, failure.stage());
    }
  }

  @Test
  @RequiresHost(HostCapability.TUN)
  void aGuestBehindATapWithNoCarrierIsUnreachableWithNeighbourEvidence() throws Exception {
    try (GuestFixture guest = GuestFixture.behindDeadTap()) {
      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(3)));

      assertEquals(FailureKind.GUEST_UNREACHABLE, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.GUEST_REACHABLE, failure.stage());
      String entry = DiagnosticsCollector.neighbourEntry(failure.diagnostics().neighbours(), "169.254.77.2");
      assertNotNull(entry, failure.diagnostics().neighbours());
      assertTrue(entry.contains("INCOMPLETE") || entry.contains("FAILED"), entry);
      assertTrue(failure.getMessage().contains(entry), failure.getMessage());
      assertTrue(failure.diagnostics().links().contains("NO-CARRIER"), failure.diagnostics().links());
      assertEquals(null, failure.diagnostics().agentUnits());
    }
  }

  @Test
  void aVmmThatExitsEndsTheProbeInsteadOfTheDeadline() throws Exception {
    try (GuestFixture guest = GuestFixture.withGuestAddress()) {
      guest.startAgent();
      AtomicBoolean exited = new AtomicBoolean();
      VmmLiveness liveness = () -> exited.get() ? Optional.of("qemu exited with status 1") : Optional.empty();
      ProbeListener exitWhileWaitingFor6080 = new ProbeListener() {
        @Override
        public void stageStarted(ReadinessStage stage) {
          if (stage == ReadinessStage.TCP_WEBSOCKIFY) {
            Thread.ofVirtual().start(() -> {
              try {
                Thread.sleep(200);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              exited.set(true);
            });
          }
        }
      };

      // With a 10-minute deadline, only the race against the VMM can end this probe.
      ReadinessFailure failure = assertThrows(ReadinessFailure.class,
          () -> probe.await(guest.target(), liveness, Duration.ofMinutes(10), exitWhileWaitingFor6080));

      assertEquals(FailureKind.VMM_EXITED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(failure.diagnostics().detail().contains("qemu exited with status 1"), failure.diagnostics().detail());
    }
  }

  @Test
  void aMissingNamespaceIsUnreachableAtOnce() {
    ProbeTarget target = ProbeTarget.atGuest("vm0123456789", "kindling-absent0", "169.254.77.2", "password", null);
    ReadinessFailure failure = assertThrows(ReadinessFailure.class,
        () -> probe.await(target, VmmLiveness.UNKNOWN, Duration.ofMinutes(10)));
    assertEquals(FailureKind.GUEST_UNREACHABLE, failure.kind());
    assertTrue(failure.diagnostics().neighbours().contains("does not exist"), failure.diagnostics().neighbours());
  }

}
