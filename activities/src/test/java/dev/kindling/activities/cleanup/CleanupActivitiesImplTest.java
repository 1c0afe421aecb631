package dev.kindling.activities.cleanup;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TUN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.OwnershipRecord;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.cleanup.HostInventory;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.NetworkRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresHost({ROOT, IPROUTE2, TUN})
class CleanupActivitiesImplTest {

  @Test
  void listsOnlyThisRunDirsVmsSparesFreshLocalOnesAndDestroysOrphans(@TempDir Path dir)
      throws Exception {
    HostPaths paths = new HostPaths(dir.resolve("cache"), dir.resolve("run"));
    NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths);
    VmmActivitiesImpl vmms =
        new VmmActivitiesImpl(
            paths,
            QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(1));
    CleanupActivitiesImpl cleanup = new CleanupActivitiesImpl("testhost", paths, vmms, network);

    String fresh = vmId();
    String stale = vmId();
    network.createNetwork(new NetworkRequest(UUID.randomUUID().toString(), fresh));
    String staleRequest = UUID.randomUUID().toString();
    network.createNetwork(new NetworkRequest(staleRequest, stale));
    try {
      // Made outside Temporal long ago: what a crashed local command leaves.
      Files.writeString(
          paths.vmDir(stale).resolve(OwnershipRecord.FILE),
          "{\"requestId\":\""
              + staleRequest
              + "\",\"createdAtEpochMillis\":1,\"workflowId\":null}");

      HostInventory inventory = cleanup.inventory();
      assertEquals("testhost", inventory.hostId());
      assertEquals(1, inventory.vms().size(), inventory.toString());
      HostInventory.HostVm vm = inventory.vms().get(0);
      assertEquals(stale, vm.vmId());
      assertTrue(vm.namespace());
      assertFalse(vm.vmmRunning());
      assertNull(vm.sessionId());
      assertNull(vm.ownerWorkflowId(), "made outside Temporal: no workflow owns it");

      cleanup.destroyOrphan(stale);
      assertFalse(NetworkNamespaces.exists(GuestNetwork.namespaceFor(stale)));
      assertFalse(Files.exists(paths.vmDir(stale)));
      assertTrue(
          NetworkNamespaces.exists(GuestNetwork.namespaceFor(fresh)),
          "a fresh local VM is not touched");
      cleanup.destroyOrphan(stale);
    } finally {
      cleanup.destroyOrphan(fresh);
      cleanup.destroyOrphan(stale);
    }
    assertFalse(NetworkNamespaces.exists(GuestNetwork.namespaceFor(fresh)));
  }

  @Test
  void eachVmIsReportedWithTheWorkflowItsOwnershipRecordNames(@TempDir Path dir) throws Exception {
    HostPaths paths = new HostPaths(dir.resolve("cache"), dir.resolve("run"));
    NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths);
    VmmActivitiesImpl vmms =
        new VmmActivitiesImpl(
            paths,
            QemuVmm.forHost(QemuConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(1));
    CleanupActivitiesImpl cleanup = new CleanupActivitiesImpl("testhost", paths, vmms, network);
    String canary = vmId();
    String session = vmId();
    try {
      for (String[] vm :
          new String[][] {
            {canary, "golden-image-testhost-browser"}, {session, "browser-vm-s-one"}
          }) {
        String request = UUID.randomUUID().toString();
        network.createNetwork(new NetworkRequest(request, vm[0]));
        Files.writeString(
            paths.vmDir(vm[0]).resolve(OwnershipRecord.FILE),
            "{\"requestId\":\""
                + request
                + "\",\"createdAtEpochMillis\":1,\"workflowId\":\""
                + vm[1]
                + "\"}");
      }

      java.util.Map<String, HostInventory.HostVm> byId = new java.util.HashMap<>();
      cleanup.inventory().vms().forEach(vm -> byId.put(vm.vmId(), vm));

      assertEquals(java.util.Set.of(canary, session), byId.keySet());
      assertNull(byId.get(canary).sessionId(), "an image build's canary has no session");
      assertEquals(
          "golden-image-testhost-browser",
          byId.get(canary).ownerWorkflowId(),
          "the build that owns it");
      assertEquals("s-one", byId.get(session).sessionId());
      assertEquals("browser-vm-s-one", byId.get(session).ownerWorkflowId());
    } finally {
      cleanup.destroyOrphan(canary);
      cleanup.destroyOrphan(session);
    }
  }

  private static String vmId() {
    byte[] bytes = new byte[5];
    new java.security.SecureRandom().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }
}
