package dev.kindling.worker.runtime;

import dev.kindling.worker.config.KindlingConfig;
import io.grpc.ManagedChannel;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;

/** A client connection to the configured Temporal frontend and namespace. */
public record TemporalConnection(WorkflowServiceStubs service, WorkflowClient client) implements AutoCloseable {

  public static TemporalConnection open(KindlingConfig config) {
    return connect(WorkflowServiceStubsOptions.newBuilder().setTarget(config.temporalTarget()), config);
  }

  /** A connection over {@code channel} (the embedded server's in-process one), which the caller closes after this. */
  public static TemporalConnection over(ManagedChannel channel, KindlingConfig config) {
    return connect(WorkflowServiceStubsOptions.newBuilder().setChannel(channel), config);
  }

  private static TemporalConnection connect(WorkflowServiceStubsOptions.Builder options, KindlingConfig config) {
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(options.setRpcTimeout(Duration.ofSeconds(10)).build());
    WorkflowClient client = WorkflowClient.newInstance(service,
        WorkflowClientOptions.newBuilder().setNamespace(config.temporalNamespace()).build());
    return new TemporalConnection(service, client);
  }

  @Override
  public void close() {
    service.shutdown();
  }
}
