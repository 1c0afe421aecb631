package dev.kindling.workflows;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import java.util.List;

/** Images and host behaviour shared by the workflow tests. */
public final class Fixtures {
  public static final String IMAGE = "ab".repeat(32);

  /**
   * The template the fixture images were built from, as a host reports it from the image's
   * manifest.
   */
  public static final String TEMPLATE = "terminal";

  public static final ImageRef COLD_IMAGE =
      new ImageRef(IMAGE, null, "6.12", 1_700_000_000L, TEMPLATE);
  public static final ImageRef SNAPSHOT_IMAGE = COLD_IMAGE.withSnapshot("snap-1");

  private Fixtures() {}

  /** Placement on {@code hostId} and a host whose every step succeeds. */
  public static void healthyHost(TestCluster cluster, String hostId, ImageRef image) {
    when(cluster.placement.place(any()))
        .thenReturn(new Placement(hostId, TaskQueues.forHost(hostId), image));
    TestCluster.Host host = cluster.host(hostId);
    when(host.network().createNetwork(any()))
        .thenAnswer(call -> VmNetwork.standard(call.<NetworkRequest>getArgument(0).vmId()));
    when(host.vmm().bootVm(any()))
        .thenAnswer(
            call -> {
              BootRequest boot = call.getArgument(0);
              return new VmHandle(
                  boot.vmId(),
                  "qemu",
                  "tcg",
                  4242,
                  "/run/kindling/vms/" + boot.vmId(),
                  "serial.log",
                  boot.mode(),
                  1L,
                  180);
            });
    when(host.readiness().awaitReady(any()))
        .thenReturn(
            new ReadinessReport(
                List.of(
                    new StageTiming("guest-reachable", 12),
                    new StageTiming("agent-health", 30),
                    new StageTiming("tcp-6080", 4),
                    new StageTiming("websocket-upgrade", 3),
                    new StageTiming("rfb-handshake", 9),
                    new StageTiming("desktop", 40)),
                98,
                1280,
                800,
                "kindling",
                null));
  }
}
