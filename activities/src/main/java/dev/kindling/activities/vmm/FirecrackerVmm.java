package dev.kindling.activities.vmm;

import dev.kindling.host.VmSecrets;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Firecracker behind {@link Vmm}, driven over its API socket. The process runs inside the VM's
 * namespace with the VM's directory as its working directory, and the disk is given to it by the
 * relative path {@code rootfs.ext4}: a snapshot records that path, so a restore in another VM's
 * directory opens that VM's own disk copy instead of the snapshotted VM's. Per-VM secrets are put
 * into MMDS after every boot and every snapshot load, never into the snapshot's image.
 */
public final class FirecrackerVmm implements Vmm {
  private static final Logger log = LoggerFactory.getLogger(FirecrackerVmm.class);
  static final String DRIVE_ID = "rootfs";
  static final String IFACE_ID = "eth0";
  static final String DISK = "rootfs.ext4";
  public static final String VM_STATE_FILE = "vm.state";
  public static final String MEMORY_FILE = "memory.state";
  public static final String DISK_FILE = "disk.ext4";

  /**
   * Starts the Firecracker process; separate so contract tests can stand a spec-checking server in
   * its place.
   */
  @FunctionalInterface
  public interface Launcher {
    /**
     * Starts {@code argv} in {@code spec.vmDir()}, serial console to {@code serial.log}; returns
     * its pid.
     */
    long launch(VmSpec spec, List<String> argv) throws IOException;
  }

  private final FirecrackerConfig config;
  private final Launcher launcher;
  private final Heartbeat heartbeat;

  public FirecrackerVmm(FirecrackerConfig config, Launcher launcher, Heartbeat heartbeat) {
    this.config = config;
    this.launcher = launcher;
    this.heartbeat = heartbeat;
  }

  public static FirecrackerVmm forHost(FirecrackerConfig config, Heartbeat heartbeat) {
    return new FirecrackerVmm(config, FirecrackerVmm::launchProcess, heartbeat);
  }

  @Override
  public String name() {
    return "firecracker";
  }

  @Override
  public RunningVm boot(VmSpec spec) {
    long startedAt = System.currentTimeMillis();
    long started = System.nanoTime();
    Path kernel = elfKernel(spec);
    copyDisk(spec.baseDisk(), spec.vmDir().resolve(DISK));
    long pid = start(spec);
    FirecrackerClient api = client(spec.vmDir());
    try {
      putLogger(api, spec);
      api.put(
          "/machine-config",
          Map.of("vcpu_count", spec.vcpus(), "mem_size_mib", spec.memoryMib(), "smt", false));
      Map<String, Object> bootSource = new LinkedHashMap<>();
      bootSource.put("kernel_image_path", QemuCommandLine.safe(kernel));
      bootSource.put("initrd_path", QemuCommandLine.safe(spec.initrd()));
      bootSource.put("boot_args", spec.kernelCmdline());
      api.put("/boot-source", bootSource);
      api.put(
          "/drives/" + DRIVE_ID,
          Map.of(
              "drive_id",
              DRIVE_ID,
              "path_on_host",
              DISK,
              "is_root_device",
              false,
              "is_read_only",
              false));
      api.put(
          "/network-interfaces/" + IFACE_ID,
          Map.of("iface_id", IFACE_ID, "host_dev_name", spec.tap(), "guest_mac", spec.guestMac()));
      api.put("/mmds/config", Map.of("version", "V2", "network_interfaces", List.of(IFACE_ID)));
      putSecrets(api, spec);
      api.put("/actions", Map.of("action_type", "InstanceStart"));
    } catch (IOException e) {
      killQuietly(pid, spec.vmDir());
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "Firecracker for "
              + spec.vmId()
              + " did not start the guest: "
              + e.getMessage()
              + QemuVmm.serialTail(spec),
          e);
    }
    return record(spec, pid, startedAt, started);
  }

  @Override
  public RunningVm restore(VmSpec spec, SnapshotFiles snapshot) {
    SnapshotManifest manifest = snapshot.manifest();
    if (!spec.imageId().equals(manifest.imageId()) || !name().equals(manifest.vmm())) {
      throw new VmmException(
          FailureKind.SNAPSHOT_MISMATCH,
          "snapshot "
              + snapshot.dir()
              + " was taken from image "
              + manifest.imageId()
              + " with "
              + manifest.vmm()
              + ", not image "
              + spec.imageId()
              + " with firecracker");
    }
    long startedAt = System.currentTimeMillis();
    long started = System.nanoTime();
    copyDisk(snapshot.disk(), spec.vmDir().resolve(DISK));
    long pid = start(spec);
    FirecrackerClient api = client(spec.vmDir());
    try {
      putLogger(api, spec);
      Map<String, Object> load = new LinkedHashMap<>();
      load.put("snapshot_path", QemuCommandLine.safe(snapshot.dir().resolve(VM_STATE_FILE)));
      load.put(
          "mem_backend",
          Map.of(
              "backend_type",
              "File",
              "backend_path",
              QemuCommandLine.safe(snapshot.memoryState())));
      // No network_overrides (a later addition to the API): the snapshot names the canary's TAP,
      // and every VM's namespace has a TAP of that same name.
      load.put("resume_vm", true);
      api.put("/snapshot/load", load);
      // The snapshot carries the canary's MMDS contents; this VM's own secrets replace them.
      putSecrets(api, spec);
    } catch (IOException e) {
      killQuietly(pid, spec.vmDir());
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "Firecracker for "
              + spec.vmId()
              + " did not restore "
              + snapshot.dir()
              + ": "
              + e.getMessage()
              + QemuVmm.serialTail(spec),
          e);
    }
    VmSpec same =
        new VmSpec(
            spec.vmId(),
            spec.imageId(),
            spec.vmDir(),
            spec.namespace(),
            spec.tap(),
            spec.guestMac(),
            manifest.memoryMib(),
            manifest.vcpus(),
            spec.kernel(),
            spec.initrd(),
            spec.baseDisk(),
            manifest.kernelCmdline());
    return record(same, pid, startedAt, started);
  }

  @Override
  public SnapshotFiles snapshot(RunningVm vm, Path dir) {
    LaunchRecord launch =
        LaunchRecord.read(vm.vmDir())
            .orElseThrow(
                () ->
                    new VmmException(
                        FailureKind.COMMAND_FAILED,
                        "no " + LaunchRecord.FILE + " in " + vm.vmDir()));
    FirecrackerClient api = client(vm.vmDir());
    try {
      Files.createDirectories(dir);
      long started = System.nanoTime();
      api.patch("/vm", Map.of("state", "Paused"));
      heartbeat.beat("writing Firecracker snapshot");
      api.put(
          "/snapshot/create",
          Map.of(
              "snapshot_type",
              "Full",
              "snapshot_path",
              QemuCommandLine.safe(dir.resolve(VM_STATE_FILE)),
              "mem_file_path",
              QemuCommandLine.safe(dir.resolve(MEMORY_FILE))));
      copyDisk(vm.vmDir().resolve(DISK), dir.resolve(DISK_FILE));
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      long memoryBytes =
          Files.exists(dir.resolve(MEMORY_FILE)) ? Files.size(dir.resolve(MEMORY_FILE)) : 0;
      return new SnapshotManifest(
              launch.imageId(),
              name(),
              "firecracker",
              launch.accelerator(),
              launch.memoryMib(),
              launch.vcpus(),
              launch.kernelCmdline(),
              MEMORY_FILE,
              DISK_FILE,
              memoryBytes,
              System.currentTimeMillis(),
              tookMillis)
          .writeTo(dir);
    } catch (IOException e) {
      throw new VmmException(
          FailureKind.COMMAND_FAILED, "snapshot of " + vm.vmId() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void stop(RunningVm vm, Duration grace) {
    long pid = VmProcesses.readPidFile(vm.vmDir().resolve(VmProcesses.PID_FILE)).orElse(vm.pid());
    if (!VmProcesses.isVmm(pid, vm.vmDir())) {
      return;
    }
    // On x86 a running guest answers Ctrl+Alt+Del by rebooting, which ends the Firecracker process;
    // a paused one (after a snapshot) never would, so it goes straight to SIGTERM.
    if (guestRuns(vm)) {
      try {
        client(vm.vmDir()).put("/actions", Map.of("action_type", "SendCtrlAltDel"));
      } catch (IOException e) {
        log.debug("SendCtrlAltDel to {} failed: {}", vm.vmId(), e.getMessage());
      }
      if (VmProcesses.awaitExit(pid, vm.vmDir(), grace)) {
        return;
      }
    }
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    if (VmProcesses.awaitExit(pid, vm.vmDir(), grace)) {
      return;
    }
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    if (!VmProcesses.awaitExit(pid, vm.vmDir(), Duration.ofSeconds(10))) {
      throw new VmmException(
          FailureKind.COMMAND_FAILED,
          "Firecracker " + pid + " of " + vm.vmId() + " survived SIGKILL");
    }
  }

  /**
   * The instance state Firecracker reports ({@code GET /}): only "Running" answers Ctrl+Alt+Del.
   */
  private boolean guestRuns(RunningVm vm) {
    try {
      return "Running".equals(client(vm.vmDir()).get("/").path("state").asText());
    } catch (IOException e) {
      log.debug("reading the state of {} failed: {}", vm.vmId(), e.getMessage());
      return false;
    }
  }

  @Override
  public boolean alive(RunningVm vm) {
    return VmProcesses.isVmm(vm.pid(), vm.vmDir());
  }

  /** Firecracker boots an uncompressed ELF kernel, which the image publishes beside its bzImage. */
  private static Path elfKernel(VmSpec spec) {
    Path vmlinux = spec.kernel().resolveSibling(Manifest.ELF_KERNEL);
    if (!Files.isRegularFile(vmlinux)) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "Firecracker needs an uncompressed ELF kernel and image "
              + spec.imageId()
              + " has none ("
              + vmlinux
              + " is missing; images built before the builder published one lack it): rebuild the"
              + " image");
    }
    return vmlinux;
  }

  private long start(VmSpec spec) {
    try {
      Files.deleteIfExists(spec.apiSocket());
      List<String> argv =
          List.of(
              "ip",
              "netns",
              "exec",
              spec.namespace(),
              config.binary(),
              "--api-sock",
              QemuCommandLine.safe(spec.apiSocket()),
              "--id",
              spec.vmId());
      long pid = launcher.launch(spec, argv);
      Files.writeString(spec.pidFile(), pid + "\n");
      awaitApi(spec, pid);
      return pid;
    } catch (IOException e) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "Firecracker for " + spec.vmId() + " did not start: " + e.getMessage(),
          e);
    }
  }

  private void awaitApi(VmSpec spec, long pid) throws IOException {
    long deadline = System.nanoTime() + config.startTimeout().toNanos();
    FirecrackerClient api = client(spec.vmDir());
    while (true) {
      if (Files.exists(spec.apiSocket())) {
        try {
          api.get("/");
          return;
        } catch (IOException notYet) {
          // The socket exists before Firecracker accepts on it.
        }
      }
      if (!VmProcesses.isVmm(pid, spec.vmDir())) {
        throw new IOException(
            "Firecracker "
                + pid
                + " exited before its API socket answered"
                + QemuVmm.serialTail(spec));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "timed out after "
                + config.startTimeout().toMillis()
                + " ms waiting for the API socket "
                + spec.apiSocket());
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  private static void putLogger(FirecrackerClient api, VmSpec spec) throws IOException {
    Path logFile = spec.vmDir().resolve("firecracker.log");
    if (!Files.exists(logFile)) {
      Files.createFile(logFile);
    }
    api.put(
        "/logger",
        Map.of("log_path", QemuCommandLine.safe(logFile), "level", "Info", "show_level", true));
  }

  private static void putSecrets(FirecrackerClient api, VmSpec spec) throws IOException {
    VmSecrets secrets = VmSecrets.ensure(spec.vmDir());
    api.put(
        "/mmds",
        Map.of("kindling", Map.of("vmId", spec.vmId(), "vncPassword", secrets.vncPassword())));
  }

  private RunningVm record(VmSpec spec, long pid, long startedAt, long started) {
    long startMillis = (System.nanoTime() - started) / 1_000_000;
    LaunchRecord launch =
        new LaunchRecord(
            spec.vmId(),
            spec.imageId(),
            name(),
            "firecracker",
            "kvm",
            spec.memoryMib(),
            spec.vcpus(),
            spec.kernelCmdline(),
            pid,
            startedAt,
            startMillis);
    launch.write(spec.vmDir());
    return launch.toRunningVm(spec.vmDir());
  }

  private FirecrackerClient client(Path vmDir) {
    return new FirecrackerClient(vmDir.resolve("firecracker.sock"), config.apiTimeout());
  }

  private static void copyDisk(Path from, Path to) {
    if (!Files.isRegularFile(from)) {
      throw new VmmException(FailureKind.VMM_FAILED_TO_START, "disk " + from + " does not exist");
    }
    // Firecracker needs a raw file per VM; a sparse (or reflinked) copy keeps that cheap.
    Commands.check(
        List.of(
            "cp",
            "--sparse=always",
            "--reflink=auto",
            QemuCommandLine.safe(from),
            QemuCommandLine.safe(to)),
        Duration.ofMinutes(5));
  }

  private static void killQuietly(long pid, Path vmDir) {
    if (VmProcesses.isVmm(pid, vmDir)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      VmProcesses.awaitExit(pid, vmDir, Duration.ofSeconds(5));
    }
  }

  /**
   * Starts Firecracker detached from the worker's streams (serial console appended to {@code
   * serial.log}), so it keeps running when the worker dies.
   */
  static long launchProcess(VmSpec spec, List<String> argv) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .directory(spec.vmDir().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.serialLog().toFile()))
            .redirectError(
                ProcessBuilder.Redirect.appendTo(
                    spec.vmDir().resolve("firecracker.stderr").toFile()));
    try {
      return builder.start().pid();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + argv, e);
    }
  }
}
