package dev.kindling.proxy;

import java.net.URI;

/**
 * A websockify on the proxy host's own loopback interface. Only tests and benchmarks use it, and
 * the proxy refuses such a route unless {@link ProxyConfig#allowLoopbackUpstreams()} is set, which
 * nothing in production wiring does.
 */
public record LoopbackUpstream(int port, String path) implements Upstream {
  public LoopbackUpstream {
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("upstream port " + port + " is out of range");
    }
    path = NamespacedUpstream.normalizedPath(path);
  }

  @Override
  public URI uri() {
    return URI.create("ws://127.0.0.1:" + port + path);
  }
}
