package dev.kindling.worker.runtime;

import dev.kindling.proxy.ControlPolicy;
import dev.kindling.proxy.ProxyConfig;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.proxy.SessionTokens;
import dev.kindling.proxy.TemporalRouteResolver;
import dev.kindling.proxy.TemporalSessionActivity;
import dev.kindling.proxy.VncPasswords;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import io.temporal.client.WorkflowClient;
import java.time.Duration;

/**
 * Builds the proxy from configuration, routing through Temporal. The proxy serves the VMs of its
 * own host and sends browsers asking for a session on another host to that host's proxy.
 */
public final class ProxyRuntime {
  private ProxyRuntime() {}

  /** Starts the proxy; {@code tokenKey} is the base64 key (dev mode passes a per-run one). */
  public static ProxyServer start(KindlingConfig config, WorkflowClient client, String tokenKey)
      throws Exception {
    ProxyConfig proxyConfig =
        ProxyConfig.builder()
            .bindHost(config.get(Setting.PROXY_BIND))
            .port(config.intValue(Setting.PROXY_PORT))
            .reusePort(Boolean.parseBoolean(config.get(Setting.PROXY_REUSE_PORT)))
            .metricsPort(config.intValue(Setting.PROXY_METRICS_PORT))
            .maxConnections(config.intValue(Setting.PROXY_MAX_CONNECTIONS))
            .tokenKey(SessionTokens.decodeKey(tokenKey))
            .allowedOrigins(config.list(Setting.PROXY_ORIGINS))
            .productionMode(config.production())
            .controlPolicy(
                ControlPolicy.fromWire(config.get(Setting.PROXY_CONTROL_POLICY)).orElseThrow())
            .activityReportInterval(
                Duration.ofSeconds(config.intValue(Setting.PROXY_ACTIVITY_REPORT_SECONDS)))
            .hostId(config.hostId())
            .build();
    return ProxyServer.start(
        proxyConfig,
        new TemporalRouteResolver(client, proxyConfig.hostId()),
        VncPasswords.fromHost(config.paths()),
        new TemporalSessionActivity(client));
  }

  /** The configured key, or a fresh one when none is configured outside production mode. */
  public static String tokenKey(KindlingConfig config) {
    String key = config.get(Setting.TOKEN_KEY);
    return key.isBlank() ? SessionTokens.generateKey() : key;
  }
}
