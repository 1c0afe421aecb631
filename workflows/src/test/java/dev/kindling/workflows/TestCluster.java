package dev.kindling.workflows;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.withSettings;

import dev.kindling.workflows.cleanup.CleanupActivities;
import dev.kindling.workflows.cleanup.LivenessActivities;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmStartActivities;
import dev.kindling.workflows.host.VmmActivities;
import dev.kindling.workflows.image.ImageActivities;
import dev.kindling.workflows.image.RetirementActivities;
import dev.kindling.workflows.pool.ClientPoolClaims;
import dev.kindling.workflows.pool.PoolActivities;
import io.temporal.client.WorkflowClient;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory Temporal server with the Kindling workflows on the shared queue and one worker per
 * simulated host on its own queue, every activity a Mockito mock.
 */
public final class TestCluster implements AutoCloseable {
  /** The activities one simulated host serves. */
  public record Host(
      String id,
      NetworkActivities network,
      VmmActivities vmm,
      ReadinessActivities readiness,
      ImageActivities images,
      CleanupActivities cleanup,
      PoolActivities pool) {}

  public final TestWorkflowEnvironment env;
  public final WorkflowClient client;
  public final PlacementActivities placement = mockActivity(PlacementActivities.class);
  public final LivenessActivities liveness = mockActivity(LivenessActivities.class);
  public final RetirementActivities retirement = mockActivity(RetirementActivities.class);
  public final dev.kindling.workflows.hosts.HostLossActivities hostLoss =
      mockActivity(dev.kindling.workflows.hosts.HostLossActivities.class);
  private final Map<String, Host> hosts = new LinkedHashMap<>();

  private TestCluster(List<String> hostIds, WorkflowImplementationOptions workflowOptions) {
    env =
        TestWorkflowEnvironment.newInstance(
            io.temporal.testing.TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    io.temporal.client.WorkflowClientOptions.newBuilder()
                        .setDataConverter(StrictDataConverter.INSTANCE)
                        .build())
                .build());
    for (var key : KindlingSearchAttributes.all()) {
      env.registerSearchAttribute(key.getName(), key.getValueType());
    }
    Worker shared = env.newWorker(TaskQueues.SHARED);
    shared.registerWorkflowImplementationTypes(workflowOptions, SharedWorkflows.implementations());
    shared.registerActivitiesImplementations(
        placement, liveness, retirement, hostLoss, new ClientPoolClaims(env.getWorkflowClient()));
    for (String id : hostIds) {
      Host host =
          new Host(
              id,
              mockActivity(NetworkActivities.class),
              mockActivity(VmmActivities.class),
              mockActivity(ReadinessActivities.class),
              mockActivity(ImageActivities.class),
              mockActivity(CleanupActivities.class),
              mockActivity(PoolActivities.class));
      env.newWorker(TaskQueues.forHost(id))
          .registerActivitiesImplementations(
              host.network(),
              host.vmm(),
              host.readiness(),
              host.images(),
              host.cleanup(),
              host.pool(),
              startingWith(host.network(), host.vmm()));
      // As on a real host: app watches on their own queue, answered by the same readiness
      // activities.
      env.newWorker(TaskQueues.appWatchOf(TaskQueues.forHost(id)))
          .registerActivitiesImplementations(host.readiness());
      hosts.put(id, host);
    }
    client = env.getWorkflowClient();
  }

  /**
   * The one-step network and boot over the host's mocked halves, as a host's worker composes its
   * real ones.
   */
  private static VmStartActivities startingWith(NetworkActivities network, VmmActivities vmm) {
    return (networkRequest, boot) -> {
      VmNetwork created = network.createNetwork(networkRequest);
      return new StartedVm(created, vmm.bootVm(boot.withNetwork(created)), 0);
    };
  }

  /** A cluster with a worker for each of {@code hostIds}; call {@link #start()} after stubbing. */
  public static TestCluster withHosts(String... hostIds) {
    return new TestCluster(List.of(hostIds), WorkflowImplementationOptions.getDefaultInstance());
  }

  /** Like {@link #withHosts(String...)}, with per-activity option overrides for the workflows. */
  public static TestCluster withHosts(
      WorkflowImplementationOptions workflowOptions, String... hostIds) {
    return new TestCluster(List.of(hostIds), workflowOptions);
  }

  public TestCluster start() {
    env.start();
    return this;
  }

  public Host host(String id) {
    return hosts.get(id);
  }

  public Object[] allMocks() {
    List<Object> all =
        new java.util.ArrayList<>(List.of(placement, liveness, retirement, hostLoss));
    for (Host host : hosts.values()) {
      all.addAll(
          List.of(
              host.network(),
              host.vmm(),
              host.readiness(),
              host.images(),
              host.cleanup(),
              host.pool()));
    }
    return all.toArray();
  }

  @Override
  public void close() {
    env.close();
  }

  private static <T> T mockActivity(Class<T> type) {
    return mock(type, withSettings().withoutAnnotations());
  }
}
