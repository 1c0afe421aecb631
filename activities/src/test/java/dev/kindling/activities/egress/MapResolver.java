package dev.kindling.activities.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers from a fixed table, and counts how often each name was asked for. */
final class MapResolver implements NameResolver {
  private final Map<String, List<InetAddress>> table;
  private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

  MapResolver(Map<String, List<InetAddress>> table) {
    this.table = Map.copyOf(table);
  }

  /** allowed.test at 127.0.0.1, private.test at 127.0.0.2, mixed.test at both; nothing else. */
  static MapResolver standard() {
    InetAddress one = address(127, 0, 0, 1);
    InetAddress two = address(127, 0, 0, 2);
    return new MapResolver(
        Map.of(
            "allowed.test", List.of(one),
            "private.test", List.of(two),
            "mixed.test", List.of(two, one)));
  }

  static InetAddress address(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public List<InetAddress> resolve(String host) throws UnknownHostException {
    asked.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
    List<InetAddress> addresses = table.get(host);
    if (addresses == null) {
      throw new UnknownHostException(host);
    }
    return addresses;
  }

  int resolutions(String host) {
    AtomicInteger count = asked.get(host);
    return count == null ? 0 : count.get();
  }

  int resolutions() {
    return asked.values().stream().mapToInt(AtomicInteger::get).sum();
  }
}
