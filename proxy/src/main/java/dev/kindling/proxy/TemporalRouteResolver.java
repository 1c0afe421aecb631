package dev.kindling.proxy;

import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Endpoint;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes from Temporal: the session's {@code browser-vm-<sessionId>} workflow answers {@code
 * describe()} with its phase and published endpoint. A READY VM whose endpoint names another host
 * than the proxy's own resolves {@link Resolution.Elsewhere}: only that host's proxy can reach it.
 * Only routes this proxy serves are cached, for a short time; a lookup that finds the VM no longer
 * READY, or the workflow gone, drops the entry, and so does {@link #invalidate} after the proxy
 * failed to reach the route.
 */
public final class TemporalRouteResolver implements RouteResolver {
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(5);
  private static final Logger log = LoggerFactory.getLogger(TemporalRouteResolver.class);

  private final WorkflowClient client;
  private final String hostId;
  private final Duration ttl;
  private final Clock clock;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Route route, Instant expires) {}

  /**
   * Resolves for the proxy on {@code hostId}; with a null {@code hostId} (a proxy that does not
   * know its host) every READY VM is routed here.
   */
  public TemporalRouteResolver(WorkflowClient client, String hostId) {
    this(client, hostId, DEFAULT_CACHE_TTL, Clock.systemUTC());
  }

  public TemporalRouteResolver(WorkflowClient client, String hostId, Duration ttl, Clock clock) {
    this.client = client;
    this.hostId = hostId;
    this.ttl = ttl;
    this.clock = clock;
  }

  @Override
  public Resolution resolve(String sessionId) {
    Cached cached = cache.get(sessionId);
    if (cached != null && clock.instant().isBefore(cached.expires())) {
      return new Resolution.Found(cached.route());
    }
    Resolution resolution = lookUp(sessionId);
    if (resolution instanceof Resolution.Found found && !ttl.isZero()) {
      cache.put(sessionId, new Cached(found.route(), clock.instant().plus(ttl)));
    } else {
      cache.remove(sessionId);
    }
    return resolution;
  }

  @Override
  public void invalidate(String sessionId) {
    cache.remove(sessionId);
  }

  private Resolution lookUp(String sessionId) {
    VmDescription description;
    try {
      description =
          client
              .newWorkflowStub(BrowserVmWorkflow.class, BrowserVmWorkflow.workflowId(sessionId))
              .describe();
    } catch (WorkflowNotFoundException e) {
      return new Resolution.Unknown("no workflow " + BrowserVmWorkflow.workflowId(sessionId));
    }
    Phase phase = description == null ? null : description.phase();
    if (phase == null) {
      return new Resolution.NotReady("no phase yet");
    }
    return switch (phase) {
      case PLACING, NETWORK, BOOTING, READINESS -> new Resolution.NotReady("phase " + phase);
      case RELEASING, RELEASED, FAILED ->
          new Resolution.Unknown("session ended (phase " + phase + ")");
      case READY -> ready(sessionId, description);
    };
  }

  private Resolution ready(String sessionId, VmDescription description) {
    Endpoint endpoint = description.endpoint();
    if (endpoint == null) {
      return new Resolution.NotReady("READY without a published endpoint");
    }
    if (hostId != null && endpoint.hostId() != null && !endpoint.hostId().equals(hostId)) {
      return new Resolution.Elsewhere(endpoint.hostId(), description.pageUrl());
    }
    try {
      return new Resolution.Found(Route.of(endpoint));
    } catch (IllegalArgumentException e) {
      log.warn(
          "session {} published an endpoint the proxy will not use: {}", sessionId, e.getMessage());
      return new Resolution.Unroutable(e.getMessage());
    }
  }
}
