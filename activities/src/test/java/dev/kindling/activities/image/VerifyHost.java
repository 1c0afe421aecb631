package dev.kindling.activities.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.readiness.VmmLiveness;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ReadinessStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host services a verification uses, wired as the worker wires them, over test paths: the real
 * image cache (so the golden image is built once and reused) and a test's own run directory.
 */
record VerifyHost(HostPaths paths, VmmActivitiesImpl vmms, ImageVerifier verifier) {
  /**
   * Generous: a cold boot takes ~30 s under TCG on an idle host, but with other VMs booting on the
   * same two cores the guest was seen to need 40-100 s just to answer on its network.
   */
  static final Duration READINESS_TIMEOUT = Duration.ofSeconds(180);

  static final String WEBSOCKIFY = "kindling-websockify.service";

  /**
   * Makes systemd print unit status lines on the serial console. The image keeps its console quiet,
   * so without this the tail of a guest whose units merely did not start would be empty.
   */
  static final String CONSOLE_STATUS = "systemd.show_status=true";

  static VerifyHost create(HostPaths paths, String extraKernelArgs) {
    QemuVmm vmm = QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE);
    VmProcesses processes = new VmProcesses(paths);
    VmmActivitiesImpl vmms =
        new VmmActivitiesImpl(paths, vmm, extraKernelArgs, Duration.ofSeconds(5));
    ReadinessActivitiesImpl readiness =
        new ReadinessActivitiesImpl(
            paths, vmId -> VmmLiveness.whileAlive(vmId, () -> processes.alive(vmId)));
    ImageVerifier verifier =
        new ImageVerifier(
            paths,
            new ImageStore(paths),
            new NetworkActivitiesImpl(paths),
            vmms,
            readiness,
            VerifySettings.defaults().withReadinessTimeout(READINESS_TIMEOUT));
    return new VerifyHost(paths, vmms, verifier);
  }

  /** The default golden image, built into (or found in) the host's real cache. */
  static BuiltImage defaultImage() {
    return new ImageBuilder().build(BuildOptions.defaults(HostPaths.fromEnvironment()));
  }

  /**
   * Kernel arguments that boot the same image with websockify disabled (systemd-debug-generator
   * honours {@code systemd.mask=}), with unit status on the serial console for the evidence.
   */
  static final String WITHOUT_WEBSOCKIFY = "systemd.mask=" + WEBSOCKIFY + " " + CONSOLE_STATUS;

  /** Paths over the real cache with {@code runDir} for per-VM files. */
  static HostPaths realCache(Path runDir) {
    return new HostPaths(HostPaths.fromEnvironment().cacheDir(), runDir);
  }

  /**
   * Paths whose cache is {@code cacheDir} (its own {@code current/}) with the real image linked in,
   * so snapshots land beside the real image but promotion never touches the host's current image.
   */
  static HostPaths privateCache(Path cacheDir, Path runDir, BuiltImage image) throws Exception {
    HostPaths paths = new HostPaths(cacheDir, runDir);
    Files.createDirectories(paths.imagesDir());
    Files.createSymbolicLink(paths.imagesDir().resolve(image.ref().imageId()), image.dir());
    return paths;
  }

  /**
   * Asserts the failure a guest without websockify must produce: the agent answered and took the
   * password, 6080 refused.
   */
  static VerifyFailure assertWebsockifyRefused(VerifyResult result) {
    assertFalse(
        result.passed(), "the VM completed the RFB handshake although websockify is masked");
    VerifyFailure failure = result.failure();
    assertEquals(FailureKind.WEBSOCKIFY_REFUSED, failure.kind(), failure::toString);
    assertEquals(ReadinessStage.TCP_WEBSOCKIFY.label(), failure.stage());
    assertTrue(failure.message().contains("refused"), failure.message());
    // Stages that passed are listed in the message: the agent answered and took the VNC password.
    assertTrue(failure.message().contains(ReadinessStage.SECRETS.label()), failure.message());
    return failure;
  }

  /**
   * Asserts that nothing of {@code vmId} is left: no VMM process, no namespace, no VM directory or
   * overlay.
   */
  static void assertNothingLeft(HostPaths paths, String vmId) {
    Path vmDir = paths.vmDir(vmId);
    assertFalse(
        ProcessHandle.allProcesses()
            .anyMatch(p -> p.info().commandLine().map(c -> c.contains(vmId)).orElse(false)),
        "a process still names " + vmId);
    assertFalse(
        NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId)),
        "namespace of " + vmId + " still exists");
    assertFalse(
        Files.exists(vmDir.resolve("overlay.qcow2")), "overlay of " + vmId + " still exists");
    assertFalse(Files.exists(vmDir), vmDir + " still exists");
    assertTrue(Files.isDirectory(paths.runDir()), "the run directory itself stays");
  }
}
