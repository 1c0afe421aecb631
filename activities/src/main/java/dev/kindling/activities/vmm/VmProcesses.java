package dev.kindling.activities.vmm;

import dev.kindling.host.HostPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Is a VM's VMM alive? Reads {@code <vmDir>/vmm.pid} and checks {@code /proc/<pid>}: the process
 * must exist, not be a zombie, and its command line must name the VM's directory, so a pid reused
 * by an unrelated process after the VMM died never counts as the VM.
 *
 * <p>The public API readiness probes race against: {@code new VmProcesses(paths).alive(vmId)}
 * (cheap enough to call every few milliseconds) and {@link #livePid(String)}.
 */
public final class VmProcesses {
  public static final String PID_FILE = "vmm.pid";
  private static final Path PROC = Path.of("/proc");

  private final HostPaths paths;

  public VmProcesses(HostPaths paths) {
    this.paths = paths;
  }

  /** True while the VMM of {@code vmId} runs. */
  public boolean alive(String vmId) {
    return livePid(vmId).isPresent();
  }

  /** The pid of the VMM of {@code vmId} when it runs, else empty. */
  public OptionalLong livePid(String vmId) {
    Path vmDir = paths.vmDir(vmId);
    OptionalLong pid = readPidFile(vmDir.resolve(PID_FILE));
    return pid.isPresent() && isVmm(pid.getAsLong(), vmDir) ? pid : OptionalLong.empty();
  }

  /** True when {@code pid} runs and its command line mentions {@code vmDir}. */
  public static boolean isVmm(long pid, Path vmDir) {
    Path proc = PROC.resolve(Long.toString(pid));
    try {
      String stat = Files.readString(proc.resolve("stat"), StandardCharsets.UTF_8);
      // The state follows the parenthesised command name, which may itself contain ") ".
      String afterName = stat.substring(stat.lastIndexOf(')') + 1).strip();
      if (afterName.startsWith("Z") || afterName.startsWith("X")) {
        return false;
      }
      String cmdline =
          new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
              .replace('\0', ' ');
      return cmdline.contains(vmDir.toString());
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  public static OptionalLong readPidFile(Path pidFile) {
    try {
      String text = Files.readString(pidFile).strip();
      return text.matches("[0-9]{1,10}")
          ? OptionalLong.of(Long.parseLong(text))
          : OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    }
  }

  /** Waits until {@code pid} is no longer the VMM of {@code vmDir}; true when it exited in time. */
  public static boolean awaitExit(long pid, Path vmDir, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isVmm(pid, vmDir)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !isVmm(pid, vmDir);
      }
    }
    return true;
  }
}
