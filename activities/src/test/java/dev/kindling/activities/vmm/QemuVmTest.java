package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.GuestFixture;
import dev.kindling.host.testing.GuestHttp;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.SnapshotRequest;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots the test guest with QEMU in a real namespace; every VM and namespace is gone afterwards.
 */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.QEMU,
  HostCapability.VM_TESTS_ENABLED
})
class QemuVmTest {
  private static final Logger log = LoggerFactory.getLogger(QemuVmTest.class);
  private static final Duration GUEST_READY = Duration.ofSeconds(90);
  private static String imageId;

  @TempDir static Path runDir;
  private HostPaths paths;
  private NetworkActivitiesImpl network;
  private VmmActivitiesImpl vmms;
  private final List<String[]> started = new ArrayList<>();

  @BeforeAll
  static void buildFixture() {
    imageId = GuestFixture.ensure(HostPaths.fromEnvironment());
  }

  private void setUpHost() {
    paths = new HostPaths(HostPaths.fromEnvironment().cacheDir(), runDir);
    network = new NetworkActivitiesImpl(paths);
    vmms =
        new VmmActivitiesImpl(
            paths,
            QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(5));
  }

  @AfterEach
  void cleanUp() {
    for (String[] vm : started) {
      try {
        vmms.destroyVm(new VmRef(vm[1], vm[0], null));
      } finally {
        network.deleteNetwork(new NetworkRequest(vm[1], vm[0]));
      }
    }
  }

  @Test
  void bootsAGuestReachableOnlyInsideItsNamespaceAndDestroyLeavesNothing() throws Exception {
    setUpHost();
    String vmId = newVmId();
    String requestId = "req-" + vmId;
    VmNetwork net = createNetwork(vmId, requestId);
    long bootStarted = System.nanoTime();
    VmHandle handle =
        vmms.bootVm(
            new BootRequest(
                requestId,
                vmId,
                new ImageRef(imageId, null, null, 0, null),
                net,
                BootMode.COLD,
                256,
                1));
    try (QmpClient qmp =
        QmpClient.connect(Path.of(handle.workDir()).resolve("qmp.sock"), Duration.ofSeconds(5))) {
      assertEquals("running", qmp.status(Duration.ofSeconds(5)));
    }
    assertEquals("ok", GuestHttp.awaitGet(net.namespace(), "/health", GUEST_READY).strip());
    log.info(
        "measure: cold boot to guest HTTP {} ms (VMM start {} ms, {})",
        (System.nanoTime() - bootStarted) / 1_000_000,
        handle.vmmStartMillis(),
        handle.accelerator());
    String serial = Files.readString(Path.of(handle.serialLog()));
    assertTrue(serial.contains("Linux version"), "the serial log has the kernel's output");
    assertTrue(
        serial.contains("kindling-fixture: ready addr=169.254.77.2/30"),
        "the guest configured its address from the command line");
    assertTrue(new VmProcesses(paths).alive(vmId));
    assertNotEquals(
        ProcessHandle.current().pid(),
        ProcessHandle.of(handle.pid())
            .flatMap(ProcessHandle::parent)
            .map(ProcessHandle::pid)
            .orElse(-1L),
        "the VMM is daemonized, not a child of the worker, so it survives the worker");

    // A restarted worker (a new instance) retrying the same request finds the running VMM.
    VmmActivitiesImpl restarted =
        new VmmActivitiesImpl(
            paths,
            QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(5));
    VmHandle again =
        restarted.bootVm(
            new BootRequest(
                requestId,
                vmId,
                new ImageRef(imageId, null, null, 0, null),
                net,
                BootMode.COLD,
                256,
                1));
    assertEquals(handle.pid(), again.pid());
    ApplicationFailure conflict =
        assertThrows(
            ApplicationFailure.class,
            () ->
                restarted.bootVm(
                    new BootRequest(
                        "someone-else",
                        vmId,
                        new ImageRef(imageId, null, null, 0, null),
                        net,
                        BootMode.COLD,
                        256,
                        1)));
    assertEquals("OwnershipConflict", conflict.getType());

    // A worker killed after QEMU daemonized but before it saw the guest running leaves no launch
    // record:
    // the retry replaces that VMM instead of adopting one in an unknown state.
    Files.delete(paths.vmDir(vmId).resolve(LaunchRecord.FILE));
    VmHandle replaced =
        restarted.bootVm(
            new BootRequest(
                requestId,
                vmId,
                new ImageRef(imageId, null, null, 0, null),
                net,
                BootMode.COLD,
                256,
                1));
    assertNotEquals(handle.pid(), replaced.pid(), "a new VMM");
    assertFalse(
        VmProcesses.isVmm(handle.pid(), paths.vmDir(vmId)),
        "the interrupted attempt's VMM is gone");
    assertEquals(replaced.pid(), new VmProcesses(paths).livePid(vmId).orElseThrow());
    assertEquals("ok", GuestHttp.awaitGet(net.namespace(), "/health", GUEST_READY).strip());

    long destroyStarted = System.nanoTime();
    vmms.destroyVm(new VmRef(requestId, vmId, net));
    log.info("measure: destroy {} ms", (System.nanoTime() - destroyStarted) / 1_000_000);
    network.deleteNetwork(new NetworkRequest(requestId, vmId));
    started.clear();
    assertTrue(
        ProcessHandle.of(replaced.pid())
            .map(p -> !VmProcesses.isVmm(p.pid(), Path.of(replaced.workDir())))
            .orElse(true),
        "no VMM process");
    assertFalse(NetworkNamespaces.exists(net.namespace()), "no namespace (and so no TAP)");
    assertFalse(Files.exists(paths.vmDir(vmId)), "no VM directory");
    // Destroying again succeeds: the VM is already gone.
    vmms.destroyVm(new VmRef(requestId, vmId, net));
    network.deleteNetwork(new NetworkRequest(requestId, vmId));
  }

  @Test
  void aSnapshotRestoresTheSameGuestStateAndIsBoundToItsImage() throws Exception {
    setUpHost();
    String source = newVmId();
    VmNetwork sourceNet = createNetwork(source, "req-" + source);
    vmms.bootVm(
        new BootRequest(
            "req-" + source,
            source,
            new ImageRef(imageId, null, null, 0, null),
            sourceNet,
            BootMode.COLD,
            256,
            1));
    String bootId = GuestHttp.awaitGet(sourceNet.namespace(), "/boot-id", GUEST_READY).strip();

    long snapshotStarted = System.nanoTime();
    String snapshotId = vmms.snapshotVm(new SnapshotRequest("snap-" + source, source, imageId));
    long snapshotMillis = (System.nanoTime() - snapshotStarted) / 1_000_000;
    Path snapshotDir = paths.snapshotDir(imageId, snapshotId);
    try {
      SnapshotFiles files = SnapshotManifest.read(snapshotDir);
      log.info(
          "measure: snapshot {} ms (pause to written {} ms), memory state {} MiB, disk {} KiB",
          snapshotMillis,
          files.manifest().pauseToWrittenMillis(),
          Files.size(files.memoryState()) >> 20,
          Files.size(files.disk()) >> 10);
      assertEquals(imageId, files.manifest().imageId());
      assertEquals(
          snapshotId,
          vmms.snapshotVm(new SnapshotRequest("snap-" + source, source, imageId)),
          "a retried snapshot request returns its snapshot");

      String restored = newVmId();
      VmNetwork restoredNet = createNetwork(restored, "req-" + restored);
      long restoreStarted = System.nanoTime();
      VmHandle handle =
          vmms.bootVm(
              new BootRequest(
                  "req-" + restored,
                  restored,
                  new ImageRef(imageId, snapshotId, null, 0, null),
                  restoredNet,
                  BootMode.RESTORE,
                  256,
                  1));
      String restoredBootId =
          GuestHttp.awaitGet(restoredNet.namespace(), "/boot-id", GUEST_READY).strip();
      log.info(
          "measure: restore to guest HTTP {} ms (VMM start {} ms)",
          (System.nanoTime() - restoreStarted) / 1_000_000,
          handle.vmmStartMillis());
      assertEquals(
          bootId, restoredBootId, "the restored guest is the snapshotted one, not a fresh boot");
      assertEquals(BootMode.RESTORE, handle.mode());
      assertNotEquals(
          paths.vmDir(source).resolve("overlay.qcow2"),
          Path.of(handle.workDir()).resolve("overlay.qcow2"));

      // The same snapshot against another image id is refused before anything starts.
      QemuVmm qemu = (QemuVmm) vmms.vmm();
      String otherImage = "0".repeat(64);
      VmSpec other =
          new VmSpec(
              newVmId(),
              otherImage,
              runDir.resolve("other"),
              "kindling-none",
              "tap0",
              GuestNetwork.GUEST_MAC,
              256,
              1,
              Path.of("/k"),
              Path.of("/i"),
              Path.of("/d"),
              "console=ttyS0");
      VmmException mismatch = assertThrows(VmmException.class, () -> qemu.restore(other, files));
      assertEquals(dev.kindling.workflows.FailureKind.SNAPSHOT_MISMATCH, mismatch.kind());
    } finally {
      deleteTree(snapshotDir);
    }
  }

  private VmNetwork createNetwork(String vmId, String requestId) {
    VmNetwork net = network.createNetwork(new NetworkRequest(requestId, vmId));
    started.add(new String[] {vmId, requestId});
    return net;
  }

  private static String newVmId() {
    byte[] bytes = new byte[5];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  private static void deleteTree(Path root) {
    dev.kindling.host.FileTrees.deleteRecursively(root);
  }
}
