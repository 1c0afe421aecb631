package dev.kindling.activities.readiness;

import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.VmRef;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * What readiness probes: one VM's guest, reached from inside its namespace.
 *
 * @param serialLog the VM's serial console capture, for diagnostics (may not exist yet)
 * @param evidenceDir where evidence that outlives the VM is written (a blank desktop's thumbnail)
 * @param launch what the session's app receives with the secrets; null for nothing
 */
public record ProbeTarget(
    String vmId,
    String namespace,
    InetSocketAddress agent,
    InetSocketAddress websockify,
    String vncPassword,
    Path serialLog,
    Path evidenceDir,
    Launch launch) {

  public static final String SERIAL_LOG = "serial.log";

  /**
   * The standard target for {@code vm}: its namespace, the fixed guest ports, its stored password.
   */
  public static ProbeTarget forVm(VmRef vm, HostPaths paths) {
    return forVm(vm, paths, VmSecrets.read(paths.vmDir(vm.vmId())).vncPassword());
  }

  /**
   * The standard target for {@code vm} with {@code vncPassword} (empty where no handshake is made).
   */
  public static ProbeTarget forVm(VmRef vm, HostPaths paths, String vncPassword) {
    String namespace =
        vm.network() != null ? vm.network().namespace() : GuestNetwork.namespaceFor(vm.vmId());
    String guest = vm.network() != null ? vm.network().guestAddress() : GuestNetwork.GUEST_ADDRESS;
    return atGuest(
            vm.vmId(), namespace, guest, vncPassword, paths.vmDir(vm.vmId()).resolve(SERIAL_LOG))
        .withEvidenceDir(paths.evidenceDir());
  }

  /**
   * A guest at {@code guestAddress} inside {@code namespace}, on the standard agent and websockify
   * ports.
   */
  public static ProbeTarget atGuest(
      String vmId, String namespace, String guestAddress, String vncPassword, Path serialLog) {
    return new ProbeTarget(
        vmId,
        namespace,
        new InetSocketAddress(guestAddress, GuestNetwork.AGENT_PORT),
        new InetSocketAddress(guestAddress, GuestNetwork.WEBSOCKIFY_PORT),
        vncPassword,
        serialLog,
        null,
        null);
  }

  public ProbeTarget withLaunch(Launch value) {
    return new ProbeTarget(
        vmId, namespace, agent, websockify, vncPassword, serialLog, evidenceDir, value);
  }

  public ProbeTarget withEvidenceDir(Path value) {
    return new ProbeTarget(
        vmId, namespace, agent, websockify, vncPassword, serialLog, value, launch);
  }

  public String guestAddress() {
    return agent.getAddress().getHostAddress();
  }

  @Override
  public String toString() {
    return "ProbeTarget[vm="
        + vmId
        + ", namespace="
        + namespace
        + ", guest="
        + guestAddress()
        + "]";
  }
}
