package dev.kindling.proxy;

import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the proxy reads a VM's VNC password to authenticate to its VNC server. The proxy runs on
 * the VM's host, where the password lives in {@code secrets.json}; it never leaves the proxy.
 */
@FunctionalInterface
public interface VncPasswords {

  Optional<String> passwordFor(String vmId);

  /** Reads {@code <runDir>/vms/<vmId>/secrets.json}. */
  static VncPasswords fromHost(HostPaths paths) {
    return vmId -> {
      if (vmId == null) {
        return Optional.empty();
      }
      Path dir = paths.vmDir(vmId);
      if (!Files.exists(dir.resolve(VmSecrets.FILE))) {
        return Optional.empty();
      }
      return Optional.of(VmSecrets.read(dir).vncPassword());
    };
  }
}
