package dev.kindling.activities.network;

import dev.kindling.activities.exec.CommandResult;
import dev.kindling.activities.exec.Commands;
import dev.kindling.activities.netns.NetworkNamespaces;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.VmNetwork;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and deletes one VM's namespace and its {@code tap0}. Every command names the VM's
 * namespace ({@code ip netns add} or {@code ip -n NS}); nothing is ever added to the host's own
 * namespace. Each step is safe to repeat.
 */
public final class VmNetworks {
  private static final Logger log = LoggerFactory.getLogger(VmNetworks.class);
  private static final Duration IP_TIMEOUT = Duration.ofSeconds(20);

  private VmNetworks() {}

  public static VmNetwork create(String vmId) {
    VmNetwork network = VmNetwork.standard(Validation.vmId(vmId));
    String ns = network.namespace();
    Validation.interfaceName(network.tap());
    if (!NetworkNamespaces.exists(ns)) {
      ip("netns", "add", ns);
    }
    ip("-n", ns, "link", "set", "lo", "up");
    if (!run("-n", ns, "link", "show", "dev", network.tap()).ok()) {
      ip("-n", ns, "tuntap", "add", "dev", network.tap(), "mode", "tap");
    }
    ip("-n", ns, "address", "replace", network.hostAddress() + "/" + network.prefixLength(), "dev", network.tap());
    ip("-n", ns, "link", "set", "dev", network.tap(), "up");
    log.info("network of {} ready: namespace {}, {} {}/{}", vmId, ns, network.tap(), network.hostAddress(), network.prefixLength());
    return network;
  }

  /** Deletes the namespace and everything in it; true when it existed. */
  public static boolean delete(String vmId) {
    String ns = GuestNetwork.namespaceFor(Validation.vmId(vmId));
    if (!NetworkNamespaces.exists(ns)) {
      return false;
    }
    CommandResult result = run("netns", "delete", ns);
    if (!result.ok() && NetworkNamespaces.exists(ns)) {
      throw new dev.kindling.activities.exec.CommandFailedException(result.argv(), result.exitCode(), Commands.tail(result.stderr()), null);
    }
    log.info("network of {} deleted: namespace {}", vmId, ns);
    return true;
  }

  private static String ip(String... args) {
    return Commands.check(argv(args), IP_TIMEOUT);
  }

  private static CommandResult run(String... args) {
    return Commands.run(argv(args), IP_TIMEOUT, null);
  }

  private static List<String> argv(String... args) {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of("ip"), java.util.Arrays.stream(args)).toList();
  }
}
