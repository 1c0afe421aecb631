package dev.kindling.activities.network;

import dev.kindling.host.netns.Links;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.VmNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and deletes one VM's namespace and its {@code tap0}, in this process (a namespace made
 * and configured with two {@code ip} processes cost tens of milliseconds per VM on a busy host).
 * Every change happens inside the VM's own namespace; nothing is ever added to the host's. Each
 * step is safe to repeat.
 */
public final class VmNetworks {
  private static final Logger log = LoggerFactory.getLogger(VmNetworks.class);

  private VmNetworks() {}

  public static VmNetwork create(String vmId) {
    VmNetwork network = VmNetwork.standard(Validation.vmId(vmId));
    String ns = network.namespace();
    String tap = Validation.interfaceName(network.tap());
    try {
      Inet4Address hostAddress = (Inet4Address) InetAddress.ofLiteral(network.hostAddress());
      // A retry finds the namespace, and perhaps the TAP, of the attempt before.
      if (!NetworkNamespaces.exists(ns)) {
        NetworkNamespaces.create(ns);
      }
      NetworkNamespaces.inside(
          ns,
          () -> {
            try (Links links = Links.open()) {
              links.up("lo");
              if (!links.exists(tap)) {
                links.createTap(tap);
              }
              links.address(tap, hostAddress, network.prefixLength());
              links.up(tap);
            }
            return null;
          });
    } catch (IOException e) {
      throw new UncheckedIOException(
          "creating namespace " + ns + " with " + tap + " failed: " + e.getMessage(), e);
    }
    log.info(
        "network of {} ready: namespace {}, {} {}/{}",
        vmId,
        ns,
        tap,
        network.hostAddress(),
        network.prefixLength());
    return network;
  }

  /** Deletes the namespace and everything in it; true when it existed. */
  public static boolean delete(String vmId) {
    String ns = GuestNetwork.namespaceFor(Validation.vmId(vmId));
    try {
      if (!NetworkNamespaces.delete(ns)) {
        return false;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("deleting namespace " + ns + " failed: " + e.getMessage(), e);
    }
    log.info("network of {} deleted: namespace {}", vmId, ns);
    return true;
  }
}
