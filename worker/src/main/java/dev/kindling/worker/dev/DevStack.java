package dev.kindling.worker.dev;

import dev.kindling.proxy.ProxyServer;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.ProxyRuntime;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.runtime.WorkerRuntime;
import dev.kindling.workflows.KindlingSearchAttributes;
import io.grpc.ManagedChannel;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.common.SearchAttributeKey;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default in one process: Temporal's test server on a port, Kindling's search
 * attributes, the worker (shared and host queues) and the proxy. Closing stops them in reverse order.
 */
public final class DevStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DevStack.class);

  private final KindlingConfig config;
  private final EmbeddedTemporal temporal;
  private final ManagedChannel channel;
  private final TemporalConnection connection;
  private final HostServices host;
  private final WorkerRuntime worker;
  private final ProxyServer proxy;
  private final String tokenKey;

  private DevStack(KindlingConfig config, EmbeddedTemporal temporal, ManagedChannel channel, TemporalConnection connection,
      HostServices host, WorkerRuntime worker, ProxyServer proxy, String tokenKey) {
    this.config = config;
    this.temporal = temporal;
    this.channel = channel;
    this.connection = connection;
    this.host = host;
    this.worker = worker;
    this.proxy = proxy;
    this.tokenKey = tokenKey;
  }

  /**
   * Starts everything. The Temporal port comes from {@code temporal.target} (localhost:PORT); port 0
   * binds a free one. The proxy listens on {@code proxy.port} (0 for a free one). The worker, the
   * proxy and {@link #connection()} reach the server in-process; other processes use the port.
   */
  public static DevStack start(KindlingConfig requested) throws Exception {
    int port = temporalPort(requested.temporalTarget());
    EmbeddedTemporal temporal = EmbeddedTemporal.start(port);
    ManagedChannel channel = temporal.inProcessChannel();
    TemporalConnection connection = null;
    WorkerRuntime worker = null;
    try {
      KindlingConfig config = requested.with(Setting.TEMPORAL_TARGET, temporal.target());
      temporal.registerSearchAttributes(config.temporalNamespace(), searchAttributes());
      connection = TemporalConnection.over(channel, config);
      HostServices host = HostServices.create(config);
      worker = WorkerRuntime.start(connection.client(), host);
      new dev.kindling.workflows.client.KindlingClient(connection.client()).ensureCleanup(WorkerRuntime.CLEANUP_EVERY);
      String tokenKey = ProxyRuntime.tokenKey(config);
      ProxyServer proxy = ProxyRuntime.start(config, connection.client(), tokenKey);
      return new DevStack(config, temporal, channel, connection, host, worker, proxy, tokenKey);
    } catch (Exception | Error e) {
      if (worker != null) {
        worker.close();
      }
      if (connection != null) {
        connection.close();
      }
      channel.shutdownNow();
      temporal.close();
      throw e;
    }
  }

  public static Map<String, IndexedValueType> searchAttributes() {
    Map<String, IndexedValueType> attributes = new LinkedHashMap<>();
    for (SearchAttributeKey<?> key : KindlingSearchAttributes.all()) {
      attributes.put(key.getName(), key.getValueType());
    }
    return attributes;
  }

  static int temporalPort(String target) {
    String[] parts = target.split(":");
    if (parts.length != 2 || !(parts[0].equals("localhost") || parts[0].equals("127.0.0.1"))) {
      throw new dev.kindling.workflows.InvalidInputException(Setting.TEMPORAL_TARGET.key(),
          "the embedded server listens on localhost:PORT, not '" + target + "'");
    }
    return Integer.parseInt(parts[1]);
  }

  public KindlingConfig config() {
    return config;
  }

  public TemporalConnection connection() {
    return connection;
  }

  public HostServices host() {
    return host;
  }

  public ProxyServer proxy() {
    return proxy;
  }

  /** The base64 key this stack's proxy verifies tokens with. */
  public String tokenKey() {
    return tokenKey;
  }

  public String temporalTarget() {
    return temporal.target();
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.close();
    } finally {
      worker.close();
      connection.close();
      channel.shutdownNow();
      temporal.close();
      log.info("dev stack stopped");
    }
  }
}
