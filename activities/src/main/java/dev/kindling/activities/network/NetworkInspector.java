package dev.kindling.activities.network;

import dev.kindling.host.exec.CommandResult;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.NetworkNamespaces;
import java.time.Duration;
import java.util.List;

/**
 * Collects links, addresses, routes and neighbours inside a VM's namespace for diagnostics. Never
 * throws for a missing namespace or a failing command: the evidence then says what went wrong.
 */
public final class NetworkInspector {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private NetworkInspector() {}

  public static NetworkEvidence inspect(String namespace) {
    if (!NetworkNamespaces.exists(namespace)) {
      String missing = "namespace " + namespace + " does not exist";
      return new NetworkEvidence(namespace, missing, missing, missing, missing);
    }
    return new NetworkEvidence(
        namespace,
        ip(namespace, "-d", "link", "show"),
        ip(namespace, "address", "show"),
        ip(namespace, "route", "show"),
        ip(namespace, "neigh", "show"));
  }

  private static String ip(String namespace, String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("ip", "-n", namespace));
    argv.addAll(List.of(args));
    try {
      CommandResult result = Commands.run(argv, TIMEOUT, null);
      return result.ok()
          ? result.stdout()
          : "'"
              + String.join(" ", argv)
              + "' exited "
              + result.exitCode()
              + ": "
              + result.stderr().strip();
    } catch (RuntimeException e) {
      return "'" + String.join(" ", argv) + "' could not run: " + e.getMessage();
    }
  }
}
