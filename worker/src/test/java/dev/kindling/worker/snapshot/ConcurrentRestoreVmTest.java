package dev.kindling.worker.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.readiness.ProbeTarget;
import dev.kindling.activities.readiness.VncDesktop;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.rfb.RfbHandshakeException;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.worker.runtime.ProxiedDesktop;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three sessions restored at the same time from one memory snapshot, through the whole engine
 * (BrowserVm workflows on the embedded stack) and the proxy: each is its own machine with its own
 * disk overlay, namespace, TAP and VNC password, and each leaves nothing behind.
 */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.QEMU,
  HostCapability.TEMPORAL_CLI,
  HostCapability.VM_TESTS_ENABLED
})
class ConcurrentRestoreVmTest {
  private static final Logger log = LoggerFactory.getLogger(ConcurrentRestoreVmTest.class);
  private static final Duration READY = Duration.ofMinutes(4);
  private static final Duration RFB = Duration.ofSeconds(30);
  private static final int SESSIONS = 3;

  @TempDir static Path runDir;
  private static DevStack stack;
  private static KindlingClient client;
  private static ImageRef image;
  private static final List<String> sessions = new ArrayList<>();

  @BeforeAll
  static void startStack() throws Exception {
    stack = DevStack.start(SnapshotFixture.config(runDir));
    client = new KindlingClient(stack.connection().client());
    image = CurrentImage.ensure(stack);
  }

  @AfterAll
  static void stopStack() throws Exception {
    try {
      for (String session : sessions) {
        releaseQuietly(session);
      }
    } finally {
      if (stack != null) {
        stack.close();
      }
    }
  }

  @Test
  void threeConcurrentRestoresAreSeparateMachinesWithTheirOwnPasswordsAndLeaveNothing()
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    for (int i = 0; i < SESSIONS; i++) {
      String session = "restore-" + run + "-" + i;
      sessions.add(session);
      client.startVm(new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, null, null, null));
    }
    List<Restored> vms = new ArrayList<>();
    for (String session : sessions) {
      client.awaitReady(session, READY);
      VmDescription ready = client.describe(session);
      assertEquals(Phase.READY, ready.phase());
      assertEquals(
          BootMode.RESTORE.name(),
          ready.bootMode(),
          session + " was restored from the snapshot, not cold-booted");
      assertEquals(image.imageId(), ready.imageId());
      vms.add(Restored.of(session, ready.vmId(), stack.host().paths()));
      log.info("{} ready on {}: {}", session, ready.vmId(), ready.timings());
    }

    // Each session's desktop, through the proxy with its token (the proxy uses that VM's password).
    for (Restored vm : vms) {
      ProxiedDesktop desktop = desktop(vm.session());
      assertTrue(
          desktop.serverInit().width() > 0 && desktop.serverInit().height() > 0,
          vm.session() + " sent a framebuffer size");
    }
    // One session's password fails on another session's VM: the secret is per VM, not per snapshot.
    Restored first = vms.get(0);
    Restored second = vms.get(1);
    VmRef secondVm = new VmRef(second.session(), second.vmId(), null);
    RfbHandshakeException refused =
        assertThrows(
            RfbHandshakeException.class,
            () ->
                VncDesktop.open(
                        ProbeTarget.forVm(secondVm, stack.host().paths(), first.password()), RFB)
                    .close());
    assertTrue(
        refused.rejected(), "the VNC server itself refused the password: " + refused.getMessage());

    assertSeparate(vms);

    for (Restored vm : vms) {
      client.release(vm.session());
    }
    for (Restored vm : vms) {
      VmDescription end = client.awaitEnd(vm.session());
      assertEquals(
          Phase.RELEASED,
          end.phase(),
          vm.session() + " ended " + end.phase() + ": " + end.failureMessage());
      LeakCheck leaks = LeakCheck.forVm(stack.host().paths(), vm.vmId());
      assertTrue(leaks.clean(), leaks.summary());
    }
    sessions.clear();
  }

  /** No disk overlay, namespace, TAP or secret is shared between the three machines. */
  private static void assertSeparate(List<Restored> vms) throws IOException {
    Set<Object> overlays = new HashSet<>();
    Set<String> namespaces = new HashSet<>();
    Set<Object> secretFiles = new HashSet<>();
    Set<String> passwords = new HashSet<>();
    for (Restored vm : vms) {
      Path overlay = vm.dir().resolve("overlay.qcow2");
      assertTrue(Files.isRegularFile(overlay), vm.session() + " has its own overlay " + overlay);
      assertTrue(
          overlays.add(Files.getAttribute(overlay, "unix:ino")), "overlay inodes are distinct");
      String cmdline =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(vm.pid()), "cmdline")),
              StandardCharsets.UTF_8);
      for (Restored other : vms) {
        assertEquals(
            other == vm,
            cmdline.contains(other.dir().resolve("overlay.qcow2").toString()),
            "QEMU of " + vm.session() + " opens only its own overlay");
      }

      String namespace = GuestNetwork.namespaceFor(vm.vmId());
      String processNet =
          Files.readSymbolicLink(Path.of("/proc", Long.toString(vm.pid()), "ns", "net")).toString();
      Object namespaceInode = Files.getAttribute(NetworkNamespaces.path(namespace), "unix:ino");
      assertEquals(
          "net:[" + namespaceInode + "]",
          processNet,
          "QEMU of " + vm.session() + " runs in the VM's own namespace");
      assertTrue(namespaces.add(processNet), "the three QEMUs run in three namespaces");
      assertNotEquals(
          Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(),
          processNet,
          "not in the host's namespace");
      String tap =
          Commands.check(
              List.of("ip", "-n", namespace, "-o", "link", "show", "dev", GuestNetwork.TAP),
              Duration.ofSeconds(10));
      assertTrue(
          tap.contains(GuestNetwork.TAP + ":"),
          "the TAP of " + vm.session() + " is inside its own namespace: " + tap);

      Path secrets = vm.dir().resolve(VmSecrets.FILE);
      assertEquals(
          "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets)));
      assertTrue(
          secretFiles.add(Files.getAttribute(secrets, "unix:ino")), "secret files are distinct");
      assertTrue(passwords.add(vm.password()), "passwords are distinct");
    }
  }

  private static ProxiedDesktop desktop(String session) throws IOException {
    return ProxiedDesktop.capture(
        new InetSocketAddress("127.0.0.1", stack.proxy().port()),
        stack.proxy().config().websocketPath(session),
        stack.proxy().tokens().mint(session),
        RFB);
  }

  private static void releaseQuietly(String session) {
    try {
      client.release(session);
      client.awaitEnd(session);
    } catch (RuntimeException e) {
      log.warn("release of {} after a failure: {}", session, e.getMessage());
    }
  }

  /** One restored session as the host sees it. */
  private record Restored(String session, String vmId, Path dir, long pid, String password) {
    static Restored of(String session, String vmId, HostPaths paths) {
      Path dir = paths.vmDir(vmId);
      long pid =
          VmProcesses.readPidFile(dir.resolve(VmProcesses.PID_FILE))
              .orElseThrow(() -> new AssertionError("no pid file for " + vmId));
      assertFalse(ProcessHandle.of(pid).isEmpty(), "the VMM of " + vmId + " runs");
      return new Restored(session, vmId, dir, pid, VmSecrets.read(dir).vncPassword());
    }
  }
}
