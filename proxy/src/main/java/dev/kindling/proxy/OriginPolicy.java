package dev.kindling.proxy;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser origins may open a session. An empty allow-list means same origin only: the Origin
 * header's host and port must equal the Host the browser connected to. Requests without an Origin
 * header do not come from a browser page and are judged by their token alone.
 */
final class OriginPolicy {
  private final Set<String> allowed;
  private final boolean any;

  OriginPolicy(List<String> allowedOrigins) {
    this.allowed =
        allowedOrigins.stream()
            .map(OriginPolicy::normalized)
            .collect(Collectors.toUnmodifiableSet());
    this.any = allowed.contains("*");
  }

  boolean permits(String origin, String host) {
    if (origin == null || origin.isEmpty() || any) {
      return true;
    }
    String normalized = normalized(origin);
    if (!allowed.isEmpty()) {
      return allowed.contains(normalized);
    }
    try {
      URI uri = URI.create(normalized);
      if (uri.getHost() == null || host == null) {
        return false;
      }
      int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
      String originHostPort = uri.getHost() + ":" + port;
      String hostHeader = host.toLowerCase(Locale.ROOT);
      String hostWithPort = hostHeader.matches(".*:\\d+$") ? hostHeader : hostHeader + ":" + port;
      return originHostPort.equals(hostWithPort);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String normalized(String origin) {
    String lower = origin.trim().toLowerCase(Locale.ROOT);
    return lower.endsWith("/") ? lower.substring(0, lower.length() - 1) : lower;
  }
}
