package dev.kindling.proxy;

import dev.kindling.workflows.vm.Endpoint;

/** Where a session's browser connections go: the VM that serves it and its websockify. */
public record Route(String sessionId, String vmId, Upstream upstream) {
  public Route {
    if (upstream == null) {
      throw new IllegalArgumentException("a route needs an upstream");
    }
  }

  /** The route a published endpoint names; throws when it names no network namespace. */
  public static Route of(Endpoint endpoint) {
    return new Route(
        endpoint.sessionId(),
        endpoint.vmId(),
        new NamespacedUpstream(
            endpoint.namespace(), endpoint.address(), endpoint.port(), endpoint.path()));
  }
}
