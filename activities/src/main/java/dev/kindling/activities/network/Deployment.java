package dev.kindling.activities.network;

import java.util.Locale;

/**
 * Which Temporal deployment a worker serves: its server's address and namespace, as
 * {@code host:port/namespace}. Two Kindling stacks that share a host's run directory but not a
 * Temporal namespace must not reconcile each other's VMs.
 */
public final class Deployment {
  private Deployment() {}

  public static String of(String temporalTarget, String namespace) {
    String target = temporalTarget.strip().toLowerCase(Locale.ROOT).replaceFirst("^dns:///", "");
    if (target.startsWith("localhost:")) {
      target = "127.0.0.1" + target.substring("localhost".length());
    }
    return target + "/" + namespace;
  }
}
