package dev.kindling.activities.vmm;

import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds the argv that starts QEMU for one VM: inside the VM's namespace ({@code ip netns exec}),
 * daemonized with a pid file so the VM outlives the worker, serial console appended to a file, QMP
 * on a unix socket. Pure: the same inputs always give the same argv.
 */
public final class QemuCommandLine {
  /**
   * Paths reach QEMU option strings (where ',' is special) and, for snapshots, a shell command
   * inside {@code exec:}; only characters that need no quoting in either are accepted.
   */
  private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9/._+-]*");

  /**
   * The id of the guest RAM backend, and so of its RAMBlock in the migration stream: the same on
   * both sides.
   */
  public static final String RAM_ID = "ram0";

  private final VmSpec spec;
  private final MachineType machine;
  private final Accelerator accelerator;
  private final String binary;
  private int tbSizeMib = 64;
  private long tscKhz;
  private Path incomingState;
  private boolean deferIncoming;
  private boolean sharedRam;
  private Path ramImage;

  private QemuCommandLine(
      String binary, VmSpec spec, MachineType machine, Accelerator accelerator) {
    this.binary = binary;
    this.spec = spec;
    this.machine = machine;
    this.accelerator = accelerator;
  }

  public static QemuCommandLine forVm(
      String binary, VmSpec spec, MachineType machine, Accelerator accelerator) {
    return new QemuCommandLine(binary, spec, machine, accelerator);
  }

  public QemuCommandLine tbSizeMib(int value) {
    this.tbSizeMib = value;
    return this;
  }

  /** The host TSC rate, which a microvm guest under TCG cannot calibrate itself. */
  public QemuCommandLine tscKhz(long value) {
    this.tscKhz = value;
    return this;
  }

  /** Loads the memory state from {@code file} instead of booting (a restore). */
  public QemuCommandLine incoming(Path file) {
    this.incomingState = file;
    return this;
  }

  /**
   * Starts waiting for an incoming migration without a source ({@code -incoming defer}), so
   * migration capabilities can be set over QMP before {@code migrate-incoming} names it.
   */
  public QemuCommandLine deferIncoming() {
    this.deferIncoming = true;
    return this;
  }

  /**
   * Guest RAM in a shared memfd ({@code memory-backend-memfd,share=on}): a snapshot with {@code
   * x-ignore-shared} then leaves it out of the migration stream and copies it on its own.
   */
  public QemuCommandLine sharedRam() {
    this.sharedRam = true;
    this.ramImage = null;
    return this;
  }

  /**
   * Guest RAM mapped private (copy-on-write) from a snapshot's RAM image: pages come from the page
   * cache when the guest first touches them, writes stay in this VM, and VMs restored from the same
   * snapshot share the unmodified pages.
   */
  public QemuCommandLine ramFrom(Path file) {
    this.ramImage = file;
    this.sharedRam = false;
    return this;
  }

  /** The kernel command line QEMU passes: the spec's, plus what this machine type needs. */
  public String kernelCmdline() {
    String cmdline = spec.kernelCmdline().strip();
    if (machine == MachineType.MICROVM
        && accelerator == Accelerator.TCG
        && tscKhz > 0
        && !cmdline.contains("tsc_early_khz=")) {
      cmdline = cmdline + " tsc_early_khz=" + tscKhz;
    }
    return cmdline;
  }

  public List<String> build() {
    Validation.vmId(spec.vmId());
    Validation.interfaceName(spec.tap());
    if (!spec.guestMac().matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
      throw new InvalidInputException(
          "guestMac", "'" + spec.guestMac() + "' is not a lowercase MAC address");
    }
    if (spec.memoryMib() < 64 || spec.vcpus() < 1) {
      throw new InvalidInputException(
          "machine",
          "needs at least 64 MiB and 1 vCPU, got "
              + spec.memoryMib()
              + " MiB, "
              + spec.vcpus()
              + " vCPUs");
    }
    if (kernelCmdline().contains("\n") || kernelCmdline().contains("\0")) {
      throw new InvalidInputException("kernelCmdline", "must be one line");
    }
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", spec.namespace(), binary));
    argv.addAll(List.of("-name", "kindling-" + spec.vmId()));
    String memory = null;
    if (sharedRam) {
      memory = "memory-backend-memfd,id=" + RAM_ID + ",size=" + spec.memoryMib() + "M,share=on";
    } else if (ramImage != null) {
      memory =
          "memory-backend-file,id="
              + RAM_ID
              + ",size="
              + spec.memoryMib()
              + "M,mem-path="
              + safe(ramImage)
              + ",share=off";
    }
    argv.addAll(
        List.of(
            "-machine",
            memory == null ? machineOption() : machineOption() + ",memory-backend=" + RAM_ID));
    if (memory != null) {
      argv.addAll(List.of("-object", memory));
    }
    argv.addAll(
        List.of("-accel", accelerator == Accelerator.KVM ? "kvm" : "tcg,tb-size=" + tbSizeMib));
    argv.addAll(List.of("-cpu", accelerator == Accelerator.KVM ? "host" : "max"));
    argv.addAll(
        List.of("-m", Integer.toString(spec.memoryMib()), "-smp", Integer.toString(spec.vcpus())));
    argv.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"));
    argv.addAll(
        List.of(
            "-kernel",
            safe(spec.kernel()),
            "-initrd",
            safe(spec.initrd()),
            "-append",
            kernelCmdline()));
    // The overlay is this VM's alone and deleted with it, so the guest's flushes need not reach the
    // host's disk (cache=unsafe); a snapshot still copies a consistent overlay, because migration
    // completion writes QEMU's own caches into the file.
    argv.addAll(
        List.of(
            "-drive",
            "file="
                + safe(spec.overlay())
                + ",format=qcow2,if=none,id=disk0,discard=unmap,cache=unsafe"));
    argv.addAll(List.of("-device", machine.blockDevice() + ",drive=disk0"));
    argv.addAll(
        List.of("-netdev", "tap,id=net0,ifname=" + spec.tap() + ",script=no,downscript=no"));
    argv.addAll(
        List.of(
            "-device",
            machine.netDevice()
                + ",netdev=net0,mac="
                + spec.guestMac()
                + (machine == MachineType.PC ? ",romfile=" : "")));
    // append=on: a restored VM keeps writing where its serial log is instead of truncating it.
    argv.addAll(
        List.of(
            "-chardev",
            "file,id=serial0,path=" + safe(spec.serialLog()) + ",append=on",
            "-serial",
            "chardev:serial0"));
    argv.addAll(List.of("-qmp", "unix:" + safe(spec.qmpSocket()) + ",server=on,wait=off"));
    argv.addAll(List.of("-pidfile", safe(spec.pidFile()), "-daemonize"));
    if (deferIncoming) {
      argv.addAll(List.of("-incoming", "defer"));
    } else if (incomingState != null) {
      argv.addAll(List.of("-incoming", incomingUri(incomingState)));
    }
    return List.copyOf(argv);
  }

  /**
   * The migration source that reads a memory state file (QEMU 7.2 has no {@code file:} transport).
   */
  public static String incomingUri(Path state) {
    return "exec:cat " + safe(state);
  }

  private String machineOption() {
    if (machine == MachineType.MICROVM) {
      // No legacy timers or option ROMs: the guest uses the TSC (see tscKhz) and boots straight
      // into the kernel.
      return "microvm,x-option-roms=off,pit=off,pic=off,rtc=off,isa-serial=on,acpi=on";
    }
    return "pc";
  }

  /**
   * Returns {@code path} as a string when it is absolute and needs no quoting anywhere it is used.
   */
  public static String safe(Path path) {
    String text = path.toString();
    if (!path.isAbsolute()
        || !SAFE_PATH.matcher(text).matches()
        || text.contains("/../")
        || text.endsWith("/..")) {
      throw new InvalidInputException(
          "path", "'" + text + "' must be absolute and use only letters, digits and / . _ + -");
    }
    return text;
  }
}
