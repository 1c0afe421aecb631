package dev.kindling.worker.dev;

import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: Temporal's Java test server bound to a TCP port, so the CLI, other
 * processes and backends in other languages can connect to it like to a real cluster, and served
 * in-process too, so the worker and clients in this JVM reach it without the network stack (a
 * round trip through loopback gRPC costs a few milliseconds per call on a busy host, and a VM
 * start makes dozens).
 *
 * <p>{@code TestServer} builds either a port-bound or an in-process server, each on its own
 * store; one store behind both takes the services it builds them from ({@link TestServicesStarter},
 * public but in the SDK's internal package, pinned with the SDK version).
 */
public final class EmbeddedTemporal implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedTemporal.class);

  private final TestServicesStarter services;
  private final Server tcp;
  private final Server inProcess;
  private final String inProcessName;

  private EmbeddedTemporal(TestServicesStarter services, Server tcp, Server inProcess, String inProcessName) {
    this.services = services;
    this.tcp = tcp;
    this.inProcess = inProcess;
    this.inProcessName = inProcessName;
  }

  /**
   * Starts the server on {@code port} (0 binds a free one) on the real clock: time skipping is
   * locked, so leases last as long as they say.
   */
  public static EmbeddedTemporal start(int port) {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    String name = InProcessServerBuilder.generateName();
    Server tcp = null;
    try {
      tcp = withServices(Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create()), services).build().start();
      Server inProcess = withServices(InProcessServerBuilder.forName(name), services).build().start();
      log.info("embedded Temporal test server listening on localhost:{}", tcp.getPort());
      return new EmbeddedTemporal(services, tcp, inProcess, name);
    } catch (IOException e) {
      if (tcp != null) {
        tcp.shutdownNow();
      }
      services.close();
      throw new UncheckedIOException("cannot start the embedded Temporal server on port " + port, e);
    }
  }

  private static ServerBuilder<?> withServices(ServerBuilder<?> builder, TestServicesStarter services) {
    HealthStatusManager health = new HealthStatusManager();
    for (BindableService service : services.getServices()) {
      ServerServiceDefinition definition = service.bindService();
      builder.addService(definition);
      health.setStatus(definition.getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    return builder.addService(health.getHealthService());
  }

  public String target() {
    return "localhost:" + tcp.getPort();
  }

  /** A channel to this server that stays inside the process; the caller closes it. */
  public ManagedChannel inProcessChannel() {
    return InProcessChannelBuilder.forName(inProcessName).directExecutor().build();
  }

  /** Registers custom search attributes so workflows can upsert them. */
  public void registerSearchAttributes(String namespace, Map<String, IndexedValueType> attributes) {
    ManagedChannel channel = inProcessChannel();
    OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(
        OperatorServiceStubsOptions.newBuilder().setChannel(channel).validateAndBuildWithDefaults());
    try {
      operator.blockingStub().addSearchAttributes(AddSearchAttributesRequest.newBuilder()
          .setNamespace(namespace)
          .putAllSearchAttributes(attributes)
          .build());
    } finally {
      operator.shutdownNow();
      channel.shutdownNow();
    }
  }

  @Override
  public void close() {
    inProcess.shutdown();
    tcp.shutdown();
    try {
      inProcess.awaitTermination(5, TimeUnit.SECONDS);
      tcp.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      inProcess.shutdownNow();
      tcp.shutdownNow();
      services.close();
    }
  }
}
