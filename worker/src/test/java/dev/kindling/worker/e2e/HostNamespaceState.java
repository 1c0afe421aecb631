package dev.kindling.worker.e2e;

import dev.kindling.host.exec.Commands;
import java.util.List;

/**
 * What the host's own network namespace holds, as the network-safety rule cares about it: links,
 * addresses, routes (both families, every table) and listening TCP and UDP sockets. Counters and
 * address lifetimes, which change by themselves, are left out.
 */
record HostNamespaceState(
    List<String> links, List<String> addresses, List<String> routes, List<String> listening) {

  static HostNamespaceState now() {
    return new HostNamespaceState(
        lines(Commands.check("ip", "-o", "link", "show")),
        lines(
            Commands.check("ip", "-o", "addr", "show")
                .replaceAll("valid_lft \\S+ preferred_lft \\S+", "")),
        lines(
            Commands.check("ip", "route", "show", "table", "all")
                + Commands.check("ip", "-6", "route", "show", "table", "all")),
        lines(Commands.check("ss", "-Hltnu")).stream()
            .map(HostNamespaceState::protocolAndLocalAddress)
            .sorted()
            .toList());
  }

  /** From {@code ss -Hltnu}: netid, state, queues, local address, peer. */
  private static String protocolAndLocalAddress(String line) {
    String[] fields = line.strip().split("\\s+");
    return fields[0] + " " + fields[4];
  }

  private static List<String> lines(String text) {
    return text.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
  }
}
