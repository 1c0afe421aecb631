package dev.kindling.activities.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmNetwork;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkActivitiesImplTest {
  @TempDir Path runDir;

  private NetworkActivitiesImpl network() {
    return new NetworkActivitiesImpl(new HostPaths(runDir.resolve("cache"), runDir));
  }

  private static String newVmId() {
    byte[] bytes = new byte[5];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  @Test
  void refusesBadIdsBeforeTouchingTheHost() {
    NetworkActivitiesImpl network = network();
    for (NetworkRequest bad :
        List.of(
            new NetworkRequest("r1", "../etc"),
            new NetworkRequest("r1", "vm 1"),
            new NetworkRequest("r1", "vm0123456789abcdef"),
            new NetworkRequest("bad id", "vm0123456789"),
            new NetworkRequest(null, "vm0123456789"))) {
      ApplicationFailure failure =
          assertThrows(ApplicationFailure.class, () -> network.createNetwork(bad));
      assertEquals("InvalidInput", failure.getType());
    }
    assertFalse(Files.exists(runDir.resolve("vms")), "nothing was written");
  }

  @Test
  @RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2, HostCapability.TUN})
  void createsOneNamespaceWithTapIdempotentlyOwnedByItsRequestAndDeletesIt() {
    NetworkActivitiesImpl network = network();
    String vmId = newVmId();
    NetworkRequest request = new NetworkRequest("req-1", vmId);
    try {
      VmNetwork created = network.createNetwork(request);
      assertEquals(VmNetwork.standard(vmId), created);
      assertTrue(NetworkNamespaces.exists(created.namespace()));
      String tap =
          Commands.check("ip", "-n", created.namespace(), "-o", "address", "show", "dev", "tap0");
      assertTrue(tap.contains("169.254.77.1/30"), tap);
      assertTrue(
          Commands.check("ip", "-n", created.namespace(), "link", "show", "dev", "tap0")
              .contains("tap0"));
      assertTrue(
          Commands.check("ip", "-n", created.namespace(), "-d", "link", "show", "dev", "tap0")
              .contains("tun type tap"));
      assertFalse(
          Commands.check("ip", "-o", "address", "show").contains("169.254.77.1"),
          "nothing in the host namespace");

      assertEquals(created, network.createNetwork(request), "a retry of the same request succeeds");
      ApplicationFailure conflict =
          assertThrows(
              ApplicationFailure.class,
              () -> network.createNetwork(new NetworkRequest("req-2", vmId)));
      assertEquals("OwnershipConflict", conflict.getType());
      assertEquals(
          "OwnershipConflict",
          assertThrows(
                  ApplicationFailure.class,
                  () -> network.deleteNetwork(new NetworkRequest("req-2", vmId)))
              .getType());

      NetworkEvidence evidence = NetworkInspector.inspect(created.namespace());
      assertTrue(evidence.links().contains("tap0"));
      assertTrue(evidence.addresses().contains("169.254.77.1/30"));
      assertTrue(evidence.routes().contains("169.254.77.0/30"));
    } finally {
      network.deleteNetwork(request);
    }
    assertFalse(NetworkNamespaces.exists("kindling-" + vmId));
    assertFalse(Files.exists(runDir.resolve("vms").resolve(vmId)));
    network.deleteNetwork(request);
  }

  @Test
  @RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2, HostCapability.TUN})
  void aNamespaceWithoutOwnershipRecordIsNotTakenOver() {
    String vmId = newVmId();
    String ns = "kindling-" + vmId;
    Commands.check("ip", "netns", "add", ns);
    try {
      ApplicationFailure conflict =
          assertThrows(
              ApplicationFailure.class,
              () -> network().createNetwork(new NetworkRequest("req-1", vmId)));
      assertEquals("OwnershipConflict", conflict.getType());
    } finally {
      Commands.run(List.of("ip", "netns", "delete", ns));
    }
  }

  @Test
  void inspectingAMissingNamespaceSaysSo() {
    NetworkEvidence evidence = NetworkInspector.inspect("kindling-vm0000000000");
    assertTrue(evidence.neighbours().contains("does not exist"));
  }
}
