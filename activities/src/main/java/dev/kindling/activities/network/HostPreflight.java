package dev.kindling.activities.network;

import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.Links;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Checks, before the first VM on a host, the settings that break VM networking here, and names the
 * fix for each. The namespace probe creates and deletes a throwaway {@code kindling-} namespace;
 * nothing is added to the host's own namespace.
 */
public final class HostPreflight {
  private final HostPaths paths;
  private final VmmPrograms vmm;

  public HostPreflight(HostPaths paths, VmmPrograms vmm) {
    this.paths = paths;
    this.vmm = vmm;
  }

  public PreflightReport run() {
    List<PreflightCheck> checks = new ArrayList<>();
    checks.add(tun());
    checks.add(root());
    boolean hasIp = Commands.available("ip");
    checks.add(
        hasIp
            ? PreflightCheck.pass("iproute2")
            : PreflightCheck.fail(
                "iproute2", "the 'ip' command is not on PATH", "apt-get install iproute2"));
    checks.add(namespaces());
    List<String> missing = vmm.programs().stream().filter(p -> !Commands.available(p)).toList();
    checks.add(
        missing.isEmpty()
            ? PreflightCheck.pass(vmm.check())
            : PreflightCheck.fail(
                vmm.check(), String.join(" and ", missing) + " not found", vmm.fix()));
    checks.add(runDir());
    return new PreflightReport(List.copyOf(checks));
  }

  /**
   * Runs the checks and fails with {@link FailureKind#HOST_PREFLIGHT} naming every failure and its
   * fix.
   */
  public PreflightReport require() {
    PreflightReport report = run();
    if (!report.passed()) {
      throw FailureKind.HOST_PREFLIGHT.failure(
          "this host cannot run VMs: " + report.summary(), report);
    }
    return report;
  }

  private static PreflightCheck tun() {
    Path tun = Path.of("/dev/net/tun");
    if (!Files.exists(tun)) {
      return PreflightCheck.fail(
          "tun",
          "/dev/net/tun is missing, so no TAP device can be created",
          "modprobe tun (in a container: pass --device /dev/net/tun)");
    }
    if (!Files.isReadable(tun) || !Files.isWritable(tun)) {
      return PreflightCheck.fail(
          "tun",
          "/dev/net/tun is not readable and writable by this user",
          "run the worker as root or chmod 0666 /dev/net/tun");
    }
    return PreflightCheck.pass("tun");
  }

  private static PreflightCheck root() {
    try {
      String status = Files.readString(Path.of("/proc/self/status"));
      long effective =
          status
              .lines()
              .filter(l -> l.startsWith("CapEff:"))
              .map(l -> Long.parseUnsignedLong(l.substring(7).strip(), 16))
              .findFirst()
              .orElse(0L);
      boolean netAdmin = (effective & (1L << 12)) != 0;
      boolean sysAdmin = (effective & (1L << 21)) != 0;
      if (netAdmin && sysAdmin) {
        return PreflightCheck.pass("capabilities");
      }
      return PreflightCheck.fail(
          "capabilities",
          "the worker lacks "
              + (netAdmin ? "" : "CAP_NET_ADMIN ")
              + (sysAdmin ? "" : "CAP_SYS_ADMIN")
              + " (needed for namespaces, TAPs and setns)",
          "run the worker as root (in a container: --cap-add NET_ADMIN --cap-add SYS_ADMIN)");
    } catch (IOException | NumberFormatException e) {
      return PreflightCheck.fail(
          "capabilities",
          "cannot read /proc/self/status: " + e.getMessage(),
          "run on Linux with /proc mounted");
    }
  }

  /** Makes a throwaway namespace with a TAP the way {@link VmNetworks} does, then deletes it. */
  private static PreflightCheck namespaces() {
    String probe = "kindling-pf" + UUID.randomUUID().toString().substring(0, 8);
    try {
      try {
        NetworkNamespaces.create(probe);
      } catch (IOException e) {
        return PreflightCheck.fail(
            "netns",
            "cannot create a network namespace: " + e.getMessage(),
            "run as root on a kernel with network namespaces (CONFIG_NET_NS) and a writable /run/netns");
      }
      try {
        NetworkNamespaces.inside(
            probe,
            () -> {
              try (Links links = Links.open()) {
                links.createTap("tap0");
              }
              return null;
            });
      } catch (IOException e) {
        return PreflightCheck.fail(
            "netns",
            "cannot create a TAP inside a namespace: " + e.getMessage(),
            "make /dev/net/tun usable (modprobe tun) and run as root");
      }
      return PreflightCheck.pass("netns");
    } finally {
      try {
        NetworkNamespaces.delete(probe);
      } catch (IOException e) {
        // A probe namespace left behind holds nothing but an unattached TAP; the check's verdict
        // stands.
      }
    }
  }

  private PreflightCheck runDir() {
    Path dir = paths.vmsDir();
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".preflight", ".tmp");
      Files.delete(probe);
      return PreflightCheck.pass("run-dir");
    } catch (IOException e) {
      return PreflightCheck.fail(
          "run-dir",
          dir + " is not writable: " + e.getMessage(),
          "create it writable for the worker, or set KINDLING_RUN_DIR to a writable directory");
    }
  }
}
