package dev.kindling.activities.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.egress.EgressLimits;
import dev.kindling.activities.egress.EgressProxy;
import dev.kindling.host.HostPaths;
import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which VMs get an egress listener and for how long, on real namespaces without a VM: a session's
 * own list or its template's default, nothing for an empty list or a VM without a session, gone
 * with the network, and served again by a new worker process after a crash.
 */
@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2, HostCapability.TUN})
class VmEgressTest {
  private static final String IMAGE = "ab".repeat(32);
  private static final InetSocketAddress LISTENER =
      new InetSocketAddress(
          InetAddress.ofLiteral(GuestNetwork.HOST_ADDRESS), GuestNetwork.EGRESS_PROXY_PORT);

  @TempDir Path runDir;

  private HostPaths paths() {
    return new HostPaths(runDir.resolve("cache"), runDir);
  }

  private VmEgress egress() {
    return new VmEgress(
        paths(),
        new EgressProxy(
            AddressDenyList.standard(List.of(), List.of()),
            host -> List.of(),
            EgressLimits.defaults(),
            new SimpleMeterRegistry()));
  }

  private static String newVmId() {
    byte[] bytes = new byte[5];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  /** An image whose template allows {@code egress} by default (files empty: nothing boots it). */
  private ImageRef imageAllowing(List<String> egress) throws IOException {
    Path dir = paths().imageDir(IMAGE);
    Files.createDirectories(dir);
    for (String name : List.of(Manifest.ROOTFS, Manifest.KERNEL, Manifest.INITRD)) {
      Files.write(dir.resolve(name), new byte[0]);
    }
    new Manifest(
            IMAGE,
            "bookworm",
            "mirror",
            "6.1",
            "console=ttyS0",
            Manifest.ROOTFS,
            Manifest.KERNEL,
            Manifest.INITRD,
            List.of(),
            List.of(),
            List.of(),
            Map.of(),
            0,
            0,
            0,
            0,
            "3",
            "notes",
            new Manifest.Defaults(512, 1, 1280, 800, egress))
        .write(dir.resolve(Manifest.FILE));
    return new ImageRef(IMAGE, null, "6.1", 0, "notes");
  }

  /** Whether something listens on the egress address inside the VM's namespace. */
  private static boolean listening(String vmId) throws IOException {
    try (SocketChannel ignored =
        NetworkNamespaces.connect(
            GuestNetwork.namespaceFor(vmId), LISTENER, Duration.ofSeconds(2))) {
      return true;
    } catch (ConnectException refused) {
      return false;
    }
  }

  @Test
  void aSessionsListOrElseItsTemplatesDefaultIsServedInsideTheNamespaceUntilTheNetworkGoes()
      throws Exception {
    ImageRef image = imageAllowing(List.of("github.com"));
    try (VmEgress egress = egress()) {
      NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths(), null, egress);
      String own = newVmId();
      String byDefault = newVmId();
      String none = newVmId();
      String canary = newVmId();
      NetworkRequest ownRequest = new NetworkRequest("r-own", own, "s-own", List.of("a.example"));
      NetworkRequest defaultRequest = new NetworkRequest("r-def", byDefault, "s-def", null);
      NetworkRequest noneRequest = new NetworkRequest("r-none", none, "s-none", List.of());
      NetworkRequest canaryRequest = new NetworkRequest("r-can", canary);
      List<NetworkRequest> all = List.of(ownRequest, defaultRequest, noneRequest, canaryRequest);
      try {
        for (NetworkRequest request : all) {
          network.createNetwork(request);
          network.startEgress(request, image);
          network.startEgress(request, image); // a retry changes nothing
        }

        assertTrue(listening(own));
        assertTrue(listening(byDefault));
        assertFalse(listening(none), "an empty list allows nothing, whatever the template allows");
        assertFalse(listening(canary), "a VM without a session has no egress");
        assertEquals(List.of("a.example:443"), egress.reportsBySession().get("s-own").rules());
        assertEquals(List.of("github.com:443"), egress.reportsBySession().get("s-def").rules());
        assertFalse(
            Commands.check("ss", "-Hltn").contains(GuestNetwork.HOST_ADDRESS),
            "nothing listens in the host's namespace");
      } finally {
        for (NetworkRequest request : all) {
          network.deleteNetwork(request);
        }
      }
      assertEquals(Map.of(), egress.reportsBySession());
      assertTrue(egress.proxy().vms().isEmpty(), "every listener closed with its network");
      for (NetworkRequest request : all) {
        assertFalse(NetworkNamespaces.exists(GuestNetwork.namespaceFor(request.vmId())));
        assertFalse(Files.exists(paths().vmDir(request.vmId())), "nothing left of the VM");
      }
    }
  }

  @Test
  void theNextWorkerServesTheEgressOfTheVmsTheLastOneServed() throws Exception {
    ImageRef image = imageAllowing(List.of());
    String vmId = newVmId();
    NetworkRequest request = new NetworkRequest("r-1", vmId, "s-1", List.of("a.example:8443"));
    VmEgress crashed = egress();
    new NetworkActivitiesImpl(paths(), null, crashed).createNetwork(request);
    try {
      new NetworkActivitiesImpl(paths(), null, crashed).startEgress(request, image);
      assertTrue(listening(vmId));
      crashed.close(); // what a killed worker's sockets do: close with its process
      assertFalse(listening(vmId));

      VmEgress next = egress();
      try {
        assertEquals(1, next.resume());
        assertTrue(listening(vmId));
        assertEquals(List.of("a.example:8443"), next.reportsBySession().get("s-1").rules());
        assertEquals(0, next.resume(), "a VM already served is left alone");
        new NetworkActivitiesImpl(paths(), null, next).deleteNetwork(request);
        assertTrue(next.proxy().vms().isEmpty());
      } finally {
        next.close();
      }
    } finally {
      new NetworkActivitiesImpl(paths()).deleteNetwork(request);
    }
    assertFalse(Files.exists(paths().vmDir(vmId)));
  }
}
