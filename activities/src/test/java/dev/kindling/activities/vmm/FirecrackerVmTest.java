package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.GuestFixture;
import dev.kindling.host.testing.GuestHttp;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boots the test guest with a real Firecracker binary (and usable KVM) in a real namespace. */
@Tag("vm")
@RequiresHost({
  HostCapability.ROOT,
  HostCapability.IPROUTE2,
  HostCapability.TUN,
  HostCapability.FIRECRACKER,
  HostCapability.VM_TESTS_ENABLED
})
class FirecrackerVmTest {
  @TempDir Path runDir;

  @Test
  void bootsTheGuestReachableInItsNamespaceAndDestroyLeavesNothing() throws Exception {
    assumeTrue(
        AcceleratorDetector.detect("auto").accelerator() == Accelerator.KVM,
        "Firecracker needs KVM that runs stock guest kernels");
    HostPaths paths = new HostPaths(HostPaths.fromEnvironment().cacheDir(), runDir);
    String imageId = GuestFixture.ensure(paths);
    assumeTrue(
        Files.exists(paths.imageDir(imageId).resolve("vmlinux")),
        "Firecracker boots an uncompressed vmlinux, which this image lacks");
    NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths);
    VmmActivitiesImpl vmms =
        new VmmActivitiesImpl(
            paths,
            FirecrackerVmm.forHost(FirecrackerConfig.defaults(), Heartbeat.NONE),
            "",
            Duration.ofSeconds(5));
    String vmId = "vm00fc000001";
    NetworkRequest request = new NetworkRequest("req-fc", vmId);
    VmNetwork net = network.createNetwork(request);
    try {
      vmms.bootVm(
          new BootRequest(
              "req-fc",
              vmId,
              new ImageRef(imageId, null, null, 0, null),
              net,
              BootMode.COLD,
              256,
              1));
      assertEquals(
          "ok", GuestHttp.awaitGet(net.namespace(), "/health", Duration.ofSeconds(60)).strip());
    } finally {
      vmms.destroyVm(new VmRef("req-fc", vmId, net));
      network.deleteNetwork(request);
    }
    assertFalse(NetworkNamespaces.exists(net.namespace()));
    assertFalse(Files.exists(paths.vmDir(vmId)));
  }
}
