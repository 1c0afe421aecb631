package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.host.HostPaths;
import dev.kindling.activities.netns.NetworkNamespaces;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.workflows.host.GuestNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The host services a verification uses, wired as the worker wires them, over test paths: the real
 * image cache (so the golden image is built once and reused) and a test's own run directory.
 */
record VerifyHost(HostPaths paths, VmmActivitiesImpl vmms, ImageVerifier verifier) {
  /** Generous: a cold boot takes ~30 s under TCG here, and other VMs may be booting at the same time. */
  static final Duration READINESS_TIMEOUT = Duration.ofSeconds(120);
  static final String MASK_WEBSOCKIFY = "systemd.mask=kindling-websockify.service";

  static VerifyHost create(HostPaths paths, String extraKernelArgs) {
    QemuVmm vmm = QemuVmm.forHost(QemuConfig.fromEnvironment(), Heartbeat.NONE);
    VmProcesses processes = new VmProcesses(paths);
    VmmActivitiesImpl vmms = new VmmActivitiesImpl(paths, vmm, extraKernelArgs, Duration.ofSeconds(5));
    ReadinessActivitiesImpl readiness = new ReadinessActivitiesImpl(paths,
        vmId -> () -> processes.alive(vmId) ? Optional.empty() : Optional.of("the VMM process of " + vmId + " is gone"));
    ImageVerifier verifier = new ImageVerifier(paths, new ImageStore(paths), new NetworkActivitiesImpl(paths), vmms, readiness,
        VerifySettings.defaults().withReadinessTimeout(READINESS_TIMEOUT));
    return new VerifyHost(paths, vmms, verifier);
  }

  /** The default golden image, built into (or found in) the host's real cache. */
  static BuiltImage defaultImage() {
    return new ImageBuilder().build(BuildOptions.defaults(HostPaths.fromEnvironment()));
  }

  /** Paths over the real cache with {@code runDir} for per-VM files. */
  static HostPaths realCache(Path runDir) {
    return new HostPaths(HostPaths.fromEnvironment().cacheDir(), runDir);
  }

  /**
   * Paths whose cache is {@code cacheDir} (its own {@code current.json}) with the real image linked
   * in, so snapshots land beside the real image but promotion never touches the host's current image.
   */
  static HostPaths privateCache(Path cacheDir, Path runDir, BuiltImage image) throws Exception {
    HostPaths paths = new HostPaths(cacheDir, runDir);
    Files.createDirectories(paths.imagesDir());
    Files.createSymbolicLink(paths.imagesDir().resolve(image.ref().imageId()), image.dir());
    return paths;
  }

  /** Asserts that nothing of {@code vmId} is left: no VMM process, no namespace, no VM directory or overlay. */
  static void assertNothingLeft(HostPaths paths, String vmId) {
    Path vmDir = paths.vmDir(vmId);
    assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(vmId)).orElse(false)),
        "a process still names " + vmId);
    assertFalse(NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId)), "namespace of " + vmId + " still exists");
    assertFalse(Files.exists(vmDir.resolve("overlay.qcow2")), "overlay of " + vmId + " still exists");
    assertFalse(Files.exists(vmDir), vmDir + " still exists");
    assertTrue(Files.isDirectory(paths.runDir()), "the run directory itself stays");
  }
}
