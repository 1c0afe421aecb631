package dev.kindling.activities.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.StageTiming;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots the real golden image through the production path and checks readiness, failure typing and
 * teardown.
 */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.QEMU,
  HostCapability.DEBOOTSTRAP,
  HostCapability.VM_TESTS_ENABLED
})
class ImageVerifierVmTest {
  private static final Logger log = LoggerFactory.getLogger(ImageVerifierVmTest.class);

  @TempDir Path runDir;

  @Test
  void defaultImageCompletesTheRfbHandshakeAndLeavesNothingBehind() {
    BuiltImage image = VerifyHost.defaultImage();
    HostPaths paths = VerifyHost.realCache(runDir);

    VerifyResult result = VerifyHost.create(paths, "").verifier().verify(image.ref().imageId());
    log.info("verified {}: {}", image.ref().imageId(), result);

    assertNull(result.failure(), () -> "verification failed: " + result.failure());
    assertTrue(result.passed());
    assertEquals(image.ref().imageId(), result.imageId());
    assertEquals(BootMode.COLD, result.bootMode());
    assertEquals("qemu", result.vmm());
    assertNotNull(result.accelerator());
    assertNotNull(result.machine());
    assertTrue(
        result.framebufferWidth() > 0 && result.framebufferHeight() > 0,
        "ServerInit framebuffer " + result.framebufferWidth() + "x" + result.framebufferHeight());
    List<String> stages = result.readinessStages().stream().map(StageTiming::stage).toList();
    assertEquals(
        Arrays.stream(ReadinessStage.values()).map(ReadinessStage::label).toList(), stages);
    assertTrue(
        result.bootToReadyMillis()
            >= result.readinessStages().stream().mapToLong(StageTiming::millis).sum());
    assertEquals(List.of(), result.teardownProblems());
    VerifyHost.assertNothingLeft(paths, result.vmId());
  }

  @Test
  void withoutWebsockifyTheGuestAnswersButPort6080IsRefused() throws Exception {
    BuiltImage image = VerifyHost.defaultImage();
    HostPaths paths = VerifyHost.realCache(runDir);

    VerifyResult result =
        VerifyHost.create(paths, VerifyHost.WITHOUT_WEBSOCKIFY)
            .verifier()
            .verify(image.ref().imageId());
    log.info("masked websockify: {}", result.failure());

    VerifyFailure failure = VerifyHost.assertWebsockifyRefused(result);
    assertFalse(failure.serialTail().isBlank(), "serial tail");
    assertTrue(
        failure.serialTail().contains("kindling-"),
        () -> "the serial tail shows the guest's units: " + failure.serialTail());
    assertTrue(
        failure.diagnostics().agentUnits().contains(VerifyHost.WEBSOCKIFY),
        failure.diagnostics().agentUnits());
    assertNotNull(failure.diagnostics().agentUnits(), "the agent reported unit states");
    assertEquals(0, result.framebufferWidth());
    assertEquals(List.of(), result.teardownProblems());
    VerifyHost.assertNothingLeft(paths, result.vmId());
    assertTrue(Files.isDirectory(image.dir()), "the image stays");
  }
}
