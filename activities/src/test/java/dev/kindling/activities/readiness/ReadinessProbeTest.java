package dev.kindling.activities.readiness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.activities.diagnostics.DiagnosticsCollector;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.StageTiming;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe against real sockets in a real namespace, real websockify, and stand-in agent and
 * x11vnc.
 */
@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2})
class ReadinessProbeTest {
  private static final ProbeSettings SETTINGS =
      new ProbeSettings(
          Duration.ofMillis(250),
          Duration.ofMillis(500),
          Duration.ofMillis(2),
          Duration.ofMillis(20),
          Duration.ofMillis(5),
          Duration.ofSeconds(1));
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ReadinessProbe probe = new ReadinessProbe(SETTINGS, new DiagnosticsCollector());

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aCompleteHandshakeThroughWebsockifyIsReady() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessReport report =
          probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));

      assertEquals(FakeRfbServer.WIDTH, report.framebufferWidth());
      assertEquals(FakeRfbServer.HEIGHT, report.framebufferHeight());
      assertEquals(FakeRfbServer.NAME, report.desktopName());
      assertEquals(
          Arrays.stream(ReadinessStage.values()).map(ReadinessStage::label).toList(),
          report.stages().stream().map(StageTiming::stage).toList());
      assertEquals(
          "desktop",
          report.stages().getLast().stage(),
          "the last stage is the desktop the user sees");
      assertTrue(report.stages().getLast().millis() >= 0);
      assertEquals(
          StandInGuest.PASSWORD,
          guest.vncPassword.get(),
          "the probe delivered the VM's password to the agent");
      assertTrue(guest.app.appRequests.get() >= 1, "the probe asked the agent for the app");
      assertEquals(
          List.of(RfbSession.BGR233), guest.vncFormats, "one frame, asked for in 8-bit BGR233");
      JsonNode secrets = JSON.readTree(guest.app.secretsBodies.getLast());
      assertEquals(StandInGuest.PASSWORD, secrets.path("vncPassword").asText());
      assertFalse(secrets.has("launch"), "no launch parameters without a launch: " + secrets);
      long clock = secrets.path("clock").path("epochMillis").asLong();
      assertTrue(
          Math.abs(System.currentTimeMillis() - clock) < 60_000,
          "the host's wall clock, for the guest's: " + secrets);
      assertTrue(
          secrets.path("entropy").asText().matches("[0-9a-f]{128}"),
          "64 bytes of host entropy in hex: " + secrets);

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
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aHandOverProvesTheNewPasswordAndChecksTheDesktopOnlyWhenTheLaunchChangesTheApp()
      throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessReport unchanged =
          probe.awaitHandOver(
              guest.target(),
              VmmLiveness.UNKNOWN,
              Duration.ofSeconds(20),
              ProbeListener.NONE,
              null);

      assertEquals(
          List.of("secrets", "tcp-6080", "websocket-upgrade", "rfb-handshake"),
          unchanged.stages().stream().map(StageTiming::stage).toList());
      assertEquals(StandInGuest.PASSWORD, guest.vncPassword.get(), "the new password delivered");
      assertEquals(0, guest.app.appRequests.get(), "the app was not asked again");
      assertEquals(null, unchanged.appOnExit(), "not learned: the pool knows it");

      ReadinessReport relaunched =
          probe.awaitHandOver(
              guest.target().withLaunch(new Launch(null, List.of("--lang", "de"))),
              VmmLiveness.UNKNOWN,
              Duration.ofSeconds(20),
              ProbeListener.NONE,
              null);

      assertEquals("desktop", relaunched.stages().getLast().stage());
      assertTrue(guest.app.appRequests.get() >= 1, "a launch restarts the app: its window again");
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aParkedHandshakeIsAnsweredWithThePasswordTheHandOverDelivers() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      ParkedHandshake parked = readyWithParkedHandshake(guest);
      int connections = guest.vncConnections();

      ReadinessReport report = handOver(guest, parked);

      assertEquals(connections, guest.vncConnections(), "no new connection: the parked one");
      assertEquals(
          List.of("secrets", "rfb-handshake"),
          report.stages().stream().map(StageTiming::stage).toList(),
          "the connection and its upgrade were made when the handshake was parked");
      assertEquals(StandInGuest.PASSWORD, guest.vncPassword.get(), "the session's password");
      assertEquals(FakeRfbServer.NAME, report.desktopName());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aParkedHandshakeThatBrokeGivesWayToAFullOne() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      ParkedHandshake parked = readyWithParkedHandshake(guest);
      parked.close();
      int connections = guest.vncConnections();

      ReadinessReport report = handOver(guest, parked);

      assertEquals(connections + 1, guest.vncConnections(), "a new connection");
      assertEquals("rfb-handshake", report.stages().getLast().stage());
      assertEquals(FakeRfbServer.NAME, report.desktopName());
    }
  }

  /** A ready stand-in pool VM with a handshake parked on it, holding the pool's own password. */
  private ParkedHandshake readyWithParkedHandshake(StandInGuest guest) throws Exception {
    guest.startAgent();
    guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
    guest.startWebsockify();
    probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));
    guest.vncPassword.set("pool-pw1");
    return probe.park(guest.target(), Duration.ofSeconds(5));
  }

  private ReadinessReport handOver(StandInGuest guest, ParkedHandshake parked) {
    return probe.awaitHandOver(
        guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20), ProbeListener.NONE, parked);
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void theSessionsLaunchIsPostedWithTheSecrets() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();
      Launch launch = new Launch("https://example.org/start?lang=de", List.of("--lang", "de"));

      ReadinessReport report =
          probe.await(
              guest.target().withLaunch(launch), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));

      assertEquals("desktop", report.stages().getLast().stage());
      JsonNode secrets = JSON.readTree(guest.app.secretsBodies.getLast());
      assertEquals(StandInGuest.PASSWORD, secrets.path("vncPassword").asText());
      assertEquals(
          "https://example.org/start?lang=de", secrets.path("launch").path("url").asText());
      assertEquals(
          List.of("--lang", "de"),
          JSON.convertValue(
              secrets.path("launch").path("args"),
              new com.fasterxml.jackson.core.type.TypeReference<List<String>>() {}));
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void anAppWhoseUnitFailedIsAppNotRunningLongBeforeTheDeadlineWithItsExitStatusAndLog()
      throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.failed(3, "boom");
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      long started = System.nanoTime();
      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofMinutes(2)));
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertEquals(FailureKind.APP_NOT_RUNNING, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.DESKTOP, failure.stage());
      assertTrue(
          took.compareTo(Duration.ofSeconds(15)) < 0,
          "a definite failure, not the 2-minute deadline: " + took);
      assertTrue(failure.getMessage().contains("exited with status 3"), failure.getMessage());
      assertTrue(failure.getMessage().contains("boom"), failure.getMessage());
      assertTrue(
          failure.getMessage().contains("rfb-handshake"),
          "the stages that passed: " + failure.getMessage());
      assertFalse(failure.getMessage().contains("deadline"), failure.getMessage());
      Diagnostics evidence = failure.diagnostics();
      assertEquals("desktop", evidence.stage());
      assertNotNull(evidence.app());
      assertTrue(evidence.app().contains("exited with status 3"), evidence.app());
      assertEquals("boom", evidence.appLogTail());
      assertNull(evidence.thumbnail(), "no frame to keep for an app that is not running");
      assertTrue(guest.vncFormats.isEmpty(), "no frame is asked for while the app has no window");
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aMappedWindowOverAOneColourDesktopIsBlankDesktopAfterTheGraceWithAThumbnail(
      @TempDir Path evidenceDir) throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.screen.set(FakeRfbServer.Screen.solid(0x000000));
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      // Blank for the whole grace takes that long; the deadline leaves it ample room.
      Duration deadline = ReadinessProbe.BLANK_GRACE.plusSeconds(40);
      long started = System.nanoTime();
      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () ->
                  probe.await(
                      guest.target().withEvidenceDir(evidenceDir), VmmLiveness.UNKNOWN, deadline));
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertEquals(FailureKind.BLANK_DESKTOP, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.DESKTOP, failure.stage());
      assertTrue(
          took.compareTo(ReadinessProbe.BLANK_GRACE) >= 0,
          "blank for the whole grace first: " + took);
      assertTrue(
          took.compareTo(ReadinessProbe.BLANK_GRACE.plusSeconds(20)) < 0,
          "a definite failure, not the deadline: " + took);
      assertFalse(failure.getMessage().contains("deadline"), failure.getMessage());
      assertTrue(failure.getMessage().contains("blank"), failure.getMessage());
      assertTrue(failure.getMessage().contains("1 colour"), failure.getMessage());
      assertTrue(
          failure.getMessage().contains("XTerm"),
          "names the mapped window: " + failure.getMessage());
      Diagnostics evidence = failure.diagnostics();
      assertNotNull(evidence.thumbnail(), "a blank desktop keeps a thumbnail");
      Path thumbnail = Path.of(evidence.thumbnail());
      assertEquals(evidenceDir.resolve("vm0123456789-desktop.png"), thumbnail);
      assertTrue(Files.isRegularFile(thumbnail), thumbnail.toString());
      BufferedImage image = ImageIO.read(thumbnail.toFile());
      assertEquals(ReadinessProbe.THUMBNAIL_WIDTH, image.getWidth());
      assertEquals(
          FakeRfbServer.HEIGHT * ReadinessProbe.THUMBNAIL_WIDTH / FakeRfbServer.WIDTH,
          image.getHeight());
      assertEquals(0x000000, image.getRGB(image.getWidth() / 2, image.getHeight() / 2) & 0xffffff);
      try (var files = Files.list(evidenceDir)) {
        assertEquals(
            List.of(thumbnail), files.toList(), "nothing else is left in the evidence directory");
      }
      assertTrue(evidence.app().contains("active"), evidence.app());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aDesktopThatPaintsWithinTheGraceIsReady() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.screen.set(FakeRfbServer.Screen.solid(0x000000));
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();
      ProbeListener paintWhenTheDesktopStageStarts = paintAfter(guest, Duration.ofSeconds(1));

      ReadinessReport report =
          probe.await(
              guest.target(),
              VmmLiveness.UNKNOWN,
              Duration.ofSeconds(30),
              paintWhenTheDesktopStageStarts);

      StageTiming desktop = report.stages().getLast();
      assertEquals("desktop", desktop.stage());
      assertTrue(desktop.millis() >= 900, "waited for the first paint: " + desktop);
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aWindowMappedLaterIsWaitedFor() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.windowMapped = false;
      guest.app.activeState = "activating";
      guest.app.subState = "start";
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();
      ProbeListener mapWindow =
          new ProbeListener() {
            @Override
            public void stageStarted(ReadinessStage stage) {
              if (stage == ReadinessStage.DESKTOP) {
                Thread.ofVirtual()
                    .start(
                        () -> {
                          sleep(Duration.ofSeconds(1));
                          guest.app.activeState = "active";
                          guest.app.subState = "running";
                          guest.app.windowMapped = true;
                        });
              }
            }
          };

      ReadinessReport report =
          probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(30), mapWindow);

      StageTiming desktop = report.stages().getLast();
      assertEquals("desktop", desktop.stage());
      assertTrue(desktop.millis() >= 900, "waited for the window: " + desktop);
      int asked = guest.app.appRequests.get();
      assertTrue(
          asked <= 1 + desktop.millis() / ReadinessProbe.DESKTOP_POLL.toMillis() + 1,
          "GET /v1/app at most every "
              + ReadinessProbe.DESKTOP_POLL.toMillis()
              + " ms: "
              + asked
              + " in "
              + desktop.millis()
              + " ms");
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aUrlThatNeverReachesTheAppFailsAppNotRunningAtTheDeadline() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.urlDelivered = false;
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () ->
                  probe.await(
                      guest.target().withLaunch(new Launch("https://example.org/", List.of())),
                      VmmLiveness.UNKNOWN,
                      Duration.ofSeconds(6)));

      assertEquals(FailureKind.APP_NOT_RUNNING, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.DESKTOP, failure.stage());
      assertTrue(failure.getMessage().contains("URL has not reached"), failure.getMessage());
      assertTrue(failure.getMessage().contains("deadline"), failure.getMessage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aUrlForAnAppThatNeverAsksForOneIsNotWaitedFor() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.urlDelivered = false;
      guest.app.urlPolled = false;
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      probe.await(
          guest.target().withLaunch(new Launch("https://example.org/", List.of())),
          VmmLiveness.UNKNOWN,
          Duration.ofSeconds(20));
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void anAgentWithoutASessionAppIsAppNotRunningAtOnce() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.app.endpoint = false;
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofMinutes(2)));

      assertEquals(FailureKind.APP_NOT_RUNNING, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.DESKTOP, failure.stage());
      assertTrue(failure.getMessage().contains("without a template"), failure.getMessage());
      assertFalse(failure.getMessage().contains("deadline"), failure.getMessage());
    }
  }

  /** Shows {@link FakeRfbServer.Screen#CONTENT} {@code delay} after the desktop stage starts. */
  private static ProbeListener paintAfter(StandInGuest guest, Duration delay) {
    return new ProbeListener() {
      @Override
      public void stageStarted(ReadinessStage stage) {
        if (stage == ReadinessStage.DESKTOP) {
          Thread.ofVirtual()
              .start(
                  () -> {
                    sleep(delay);
                    guest.screen.set(FakeRfbServer.Screen.CONTENT);
                  });
        }
      }
    };
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void nothingListeningOn6080IsWebsockifyRefused() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      Files.writeString(
          guest.serialLog, "[\u001B[0;32m  OK  \u001B[0m] Started kindling-agent.service\n");

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(FailureKind.WEBSOCKIFY_REFUSED, failure.kind());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(failure.getMessage().contains("refused"), failure.getMessage());
      var evidence = failure.diagnostics();
      assertEquals("tcp-6080", evidence.stage());
      assertTrue(
          evidence.serialTail().contains("[  OK  ] Started kindling-agent.service"),
          evidence.serialTail());
      assertTrue(
          evidence.agentUnits().contains("kindling-websockify.service active"),
          evidence.agentUnits());
      assertTrue(evidence.addresses().contains("169.254.77.2/32"), evidence.addresses());
      assertTrue(evidence.links().contains("LOOPBACK"), evidence.links());
    }
  }

  @Test
  void aRefusedPortWhoseUnitTheAgentReportsInactiveFailsWithoutWaitingForTheDeadline()
      throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgentReportingWebsockify("inactive");
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofMinutes(5)));

      assertEquals(FailureKind.WEBSOCKIFY_REFUSED, failure.kind());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(
          failure.getMessage().contains("kindling-websockify.service inactive"),
          failure.getMessage());
      assertTrue(failure.getMessage().contains("not restarting"), failure.getMessage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aWebsockifySlowerThanOneReadTimeoutIsGivenLongerAndIsReady() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startSlowWebsockify(SETTINGS.ioTimeout().multipliedBy(3).dividedBy(2));

      ReadinessReport report =
          probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(20));

      assertEquals("desktop", report.stages().getLast().stage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aBackendThatDropsTheConnectionAfterItsBannerFailsTheHandshake() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.BANNER_THEN_DROP);
      guest.startWebsockify();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(5)));

      assertEquals(FailureKind.HANDSHAKE_FAILED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.RFB_HANDSHAKE, failure.stage());
      assertTrue(failure.getMessage().contains("security types"), failure.getMessage());
    }
  }

  @Test
  @RequiresHost(HostCapability.WEBSOCKIFY)
  void aWrongPasswordFailsTheHandshakeWithoutWaitingForTheDeadline() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startMisconfiguredAgent("Other123");
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      guest.startWebsockify();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(60)));

      assertEquals(FailureKind.HANDSHAKE_FAILED, failure.kind(), failure.getMessage());
      assertTrue(failure.getMessage().contains("VNC authentication failed"), failure.getMessage());
      assertFalse(failure.getMessage().contains("deadline"), failure.getMessage());
    }
  }

  @Test
  void anAgentThatNeverAnswersFailsAgentHealthWithItsLastCause() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startSilentAgent();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(ReadinessStage.AGENT_HEALTH, failure.stage(), failure.getMessage());
      assertTrue(failure.getMessage().contains("in time"), failure.getMessage());
    }
  }

  @Test
  void aListenerThatNeverUpgradesFailsTheWebSocketUpgrade() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startSilentListener();

      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(2)));

      assertEquals(FailureKind.WEBSOCKET_UPGRADE_FAILED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.WEBSOCKET_UPGRADE, failure.stage());
    }
  }

  @Test
  @RequiresHost(HostCapability.TUN)
  void aGuestBehindATapWithNoCarrierIsUnreachableWithNeighbourEvidence() throws Exception {
    try (StandInGuest guest = StandInGuest.behindDeadTap()) {
      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () -> probe.await(guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(3)));

      assertEquals(FailureKind.GUEST_UNREACHABLE, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.GUEST_REACHABLE, failure.stage());
      String entry =
          DiagnosticsCollector.neighbourEntry(failure.diagnostics().neighbours(), "169.254.77.2");
      assertNotNull(entry, failure.diagnostics().neighbours());
      assertTrue(entry.contains("INCOMPLETE") || entry.contains("FAILED"), entry);
      assertTrue(failure.getMessage().contains(entry), failure.getMessage());
      assertTrue(
          failure.diagnostics().links().contains("NO-CARRIER"), failure.diagnostics().links());
      assertEquals(null, failure.diagnostics().agentUnits());
    }
  }

  @Test
  void aVmmThatExitsEndsTheProbeInsteadOfTheDeadline() throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      AtomicBoolean exited = new AtomicBoolean();
      VmmLiveness liveness =
          () -> exited.get() ? Optional.of("qemu exited with status 1") : Optional.empty();
      ProbeListener exitWhileWaitingFor6080 =
          new ProbeListener() {
            @Override
            public void stageStarted(ReadinessStage stage) {
              if (stage == ReadinessStage.TCP_WEBSOCKIFY) {
                Thread.ofVirtual()
                    .start(
                        () -> {
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
      ReadinessFailure failure =
          assertThrows(
              ReadinessFailure.class,
              () ->
                  probe.await(
                      guest.target(), liveness, Duration.ofMinutes(10), exitWhileWaitingFor6080));

      assertEquals(FailureKind.VMM_EXITED, failure.kind(), failure.getMessage());
      assertEquals(ReadinessStage.TCP_WEBSOCKIFY, failure.stage());
      assertTrue(
          failure.diagnostics().detail().contains("qemu exited with status 1"),
          failure.diagnostics().detail());
    }
  }

  @Test
  void aMissingNamespaceIsUnreachableAtOnce() {
    ProbeTarget target =
        ProbeTarget.atGuest("vm0123456789", "kindling-absent0", "169.254.77.2", "password", null);
    ReadinessFailure failure =
        assertThrows(
            ReadinessFailure.class,
            () -> probe.await(target, VmmLiveness.UNKNOWN, Duration.ofMinutes(10)));
    assertEquals(FailureKind.GUEST_UNREACHABLE, failure.kind());
    assertTrue(
        failure.diagnostics().neighbours().contains("does not exist"),
        failure.diagnostics().neighbours());
  }
}
