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
    // A fresh namespace cannot hold the TAP yet; a retry checks before adding it again.
    boolean fresh = !NetworkNamespaces.exists(ns);
    if (fresh) {
      ip("netns", "add", ns);
    }
    boolean addTap = fresh || !run("-n", ns, "link", "show", "dev", network.tap()).ok();
    // One ip process for the rest: each process start costs tens of milliseconds on a busy host.
    String batch = "link set lo up\n"
        + (addTap ? "tuntap add dev " + network.tap() + " mode tap\n" : "")
        + "address replace " + network.hostAddress() + "/" + network.prefixLength() + " dev " + network.tap() + "\n"
        + "link set dev " + network.tap() + " up\n";
    CommandResult result = Commands.run(argv("-n", ns, "-batch", "-"), IP_TIMEOUT, null, batch);
    if (!result.ok()) {
      throw new dev.kindling.activities.exec.CommandFailedException(result.argv(), result.exitCode(),
          Commands.tail(result.stderr()) + " (batch: " + batch.strip().replace('\n', ';') + ")", null);
    }
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
