package dev.kindling.worker.runtime;

import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.host.GuestNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a VM may have left on its host: a VMM process, its namespace (and TAP), its files. */
public record LeakCheck(String vmId, List<String> leftovers) {

  public static LeakCheck forVm(HostPaths paths, String vmId) {
    List<String> leftovers = new ArrayList<>();
    if (NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId))) {
      leftovers.add("network namespace " + GuestNetwork.namespaceFor(vmId));
    }
    if (new VmProcesses(paths).alive(vmId) || vmmProcessMentioning(vmId)) {
      leftovers.add("VMM process of " + vmId);
    }
    Path dir = paths.vmDir(vmId);
    if (Files.exists(dir)) {
      leftovers.add("files in " + dir + listing(dir));
    }
    return new LeakCheck(vmId, List.copyOf(leftovers));
  }

  public boolean clean() {
    return leftovers.isEmpty();
  }

  public String summary() {
    return clean()
        ? "nothing left of " + vmId + " (no VMM process, namespace, TAP or files)"
        : "left behind: " + String.join("; ", leftovers);
  }

  /** Any process whose command line names the VM, even one whose pid file is gone. */
  private static boolean vmmProcessMentioning(String vmId) {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .anyMatch(
              p -> {
                try {
                  return new String(Files.readAllBytes(p.resolve("cmdline"))).contains(vmId);
                } catch (IOException gone) {
                  return false;
                }
              });
    } catch (IOException e) {
      return false;
    }
  }

  private static String listing(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return " " + files.map(p -> p.getFileName().toString()).toList();
    } catch (IOException e) {
      return "";
    }
  }
}
