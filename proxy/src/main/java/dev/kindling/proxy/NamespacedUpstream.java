package dev.kindling.proxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * A websockify reached from inside a VM's own network namespace. The address must be an IP literal:
 * the proxy never resolves names for upstreams.
 */
public record NamespacedUpstream(String namespace, String address, int port, String path)
    implements Upstream {
  public NamespacedUpstream {
    if (namespace == null || namespace.isBlank()) {
      throw new IllegalArgumentException(
          "an upstream needs a network namespace; the proxy never falls back to the host's");
    }
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException("an upstream needs an address");
    }
    try {
      InetAddress.ofLiteral(address);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "upstream address '" + address + "' is not an IP literal", e);
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("upstream port " + port + " is out of range");
    }
    path = normalizedPath(path);
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(InetAddress.ofLiteral(address), port);
  }

  @Override
  public URI uri() {
    String host = address.contains(":") ? "[" + address + "]" : address;
    return URI.create("ws://" + host + ":" + port + path);
  }

  static String normalizedPath(String path) {
    if (path == null || path.isBlank()) {
      return "/";
    }
    if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == '#')) {
      throw new IllegalArgumentException(
          "upstream path '" + path + "' must start with '/' and hold no spaces or fragments");
    }
    return path;
  }
}
