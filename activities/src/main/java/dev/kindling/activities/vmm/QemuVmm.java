package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindling.host.exec.CommandFailedException;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.workflows.FailureKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QEMU behind {@link Vmm}: started daemonized inside the VM's namespace, driven over QMP. Snapshots
 * migrate the paused VM's device state to a file ({@code exec:cat}, QEMU 7.2 has no {@code file:}
 * transport) and keep a copy of its disk overlay; a restore starts the same machine with {@code
 * -incoming} on a fresh overlay backed by that copy.
 *
 * <p>Guest RAM lives in a shared memfd, so a snapshot leaves it out of the migration stream ({@code
 * x-ignore-shared}) and copies it to a sparse RAM image instead; a restore maps that image
 * copy-on-write. Loading a snapshot then reads a few hundred KiB instead of the whole RAM, the
 * guest pages in only what it touches (from the page cache, shared by every VM restored from the
 * snapshot), and restored VMs share their unmodified pages. Snapshots without a RAM image (taken
 * from a VM booted with private RAM) restore the old way, with the RAM in the stream.
 */
public final class QemuVmm implements Vmm {
  private static final Logger log = LoggerFactory.getLogger(QemuVmm.class);
  private static final Duration QMP_COMMAND = Duration.ofSeconds(10);
  private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(3);
  public static final String MEMORY_FILE = "memory.state";
  public static final String DISK_FILE = "disk.qcow2";
  public static final String RAM_FILE = "ram.bin";

  /**
   * An empty overlay on the snapshot's disk, kept in the snapshot directory and copied for each
   * restore.
   */
  public static final String OVERLAY_TEMPLATE = "overlay-template.qcow2";

  /**
   * How often QMP status is polled while QEMU starts or loads a snapshot: a restore takes tens of
   * milliseconds.
   */
  private static final long STATUS_POLL_MILLIS = 2;

  private static final String IGNORE_SHARED = "x-ignore-shared";

  private final QemuConfig config;
  private final AcceleratorChoice accelerator;
  private final long tscKhz;
  private final Heartbeat heartbeat;

  public QemuVmm(
      QemuConfig config, AcceleratorChoice accelerator, long tscKhz, Heartbeat heartbeat) {
    this.config = config;
    this.accelerator = accelerator;
    this.tscKhz = tscKhz;
    this.heartbeat = heartbeat;
  }

  /** Detects the accelerator and TSC rate of this host and logs the choice once. */
  public static QemuVmm forHost(QemuConfig config, Heartbeat heartbeat) {
    AcceleratorChoice choice = AcceleratorDetector.detect(config.accel());
    log.info("QEMU accelerator {}: {}", choice.accelerator().label(), choice.reason());
    return new QemuVmm(config, choice, HostTsc.khz().orElse(0), heartbeat);
  }

  public AcceleratorChoice accelerator() {
    return accelerator;
  }

  public QemuConfig config() {
    return config;
  }

  @Override
  public String name() {
    return "qemu";
  }

  @Override
  public RunningVm boot(VmSpec spec) {
    createOverlay(spec.overlay(), spec.baseDisk(), "raw");
    QemuCommandLine command = commandLine(spec, config.machine()).sharedRam();
    return start(spec, command, config.machine(), null);
  }

  @Override
  public RunningVm restore(VmSpec spec, SnapshotFiles snapshot) {
    SnapshotManifest manifest = snapshot.manifest();
    if (!spec.imageId().equals(manifest.imageId())) {
      throw new VmmException(
          FailureKind.SNAPSHOT_MISMATCH,
          "snapshot "
              + snapshot.dir()
              + " was taken from image "
              + manifest.imageId()
              + ", not "
              + spec.imageId());
    }
    if (!name().equals(manifest.vmm())
        || !accelerator.accelerator().label().equals(manifest.accelerator())) {
      throw new VmmException(
          FailureKind.SNAPSHOT_MISMATCH,
          "snapshot "
              + snapshot.dir()
              + " was taken with "
              + manifest.vmm()
              + "/"
              + manifest.accelerator()
              + "; this host runs qemu/"
              + accelerator.accelerator().label());
    }
    // The restored machine must match the one that was saved, whatever this host's defaults are
    // now.
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
    createRestoreOverlay(same.overlay(), snapshot);
    MachineType machine = MachineType.parse(manifest.machine());
    Incoming incoming = new Incoming(snapshot.memoryState(), snapshot.ram().isPresent());
    QemuCommandLine command = commandLine(same, machine);
    if (incoming.separateRam()) {
      Path ram = snapshot.ram().get();
      if (!Files.isRegularFile(ram)) {
        throw new VmmException(
            FailureKind.SNAPSHOT_MISMATCH,
            "snapshot " + snapshot.dir() + " has no RAM image " + ram);
      }
      command.ramFrom(ram).deferIncoming();
    } else {
      command.incoming(snapshot.memoryState());
    }
    return start(same, command, machine, incoming);
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
    Path memory = dir.resolve(MEMORY_FILE);
    try (QmpClient qmp = QmpClient.connect(vm.qmpSocket(), QMP_COMMAND)) {
      Files.createDirectories(dir);
      Optional<Path> sharedRam = GuestRam.sharedMemfd(vm.pid(), (long) launch.memoryMib() << 20);
      if (sharedRam.isEmpty() && GuestRam.startedWithSharedRam(vm.pid())) {
        throw new VmmException(
            FailureKind.COMMAND_FAILED,
            "QEMU "
                + vm.pid()
                + " of "
                + vm.vmId()
                + " was started with its RAM in a memfd, but no open memfd of "
                + launch.memoryMib()
                + " MiB was found");
      }
      long started = System.nanoTime();
      qmp.stop(QMP_COMMAND);
      if (sharedRam.isPresent()) {
        qmp.setMigrationCapability(IGNORE_SHARED, true, QMP_COMMAND);
      }
      // QEMU throttles migration to 32 MiB/s by default; a local file can take all it can write.
      qmp.setMigrationParameters(Map.of("max-bandwidth", 8L * 1024 * 1024 * 1024), QMP_COMMAND);
      qmp.migrate("exec:cat > " + QemuCommandLine.safe(memory), QMP_COMMAND);
      awaitMigration(qmp, vm);
      // The VM stays paused after the migration, so its RAM no longer changes while it is copied.
      long ramBytes = 0;
      if (sharedRam.isPresent()) {
        ramBytes =
            GuestRam.copySparse(
                sharedRam.get(), dir.resolve(RAM_FILE), (long) launch.memoryMib() << 20);
      }
      // Migration completion flushed and released the disk, so the overlay copy is consistent.
      Files.copy(
          vm.vmDir().resolve("overlay.qcow2"),
          dir.resolve(DISK_FILE),
          StandardCopyOption.REPLACE_EXISTING);
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      SnapshotManifest manifest =
          new SnapshotManifest(
              launch.imageId(),
              name(),
              launch.machine(),
              launch.accelerator(),
              launch.memoryMib(),
              launch.vcpus(),
              launch.kernelCmdline(),
              MEMORY_FILE,
              DISK_FILE,
              Files.size(memory),
              System.currentTimeMillis(),
              tookMillis,
              sharedRam.isPresent() ? RAM_FILE : null);
      log.info(
          "snapshot of {} written to {}: device state {} KiB, RAM image {} MiB of data, in {} ms",
          vm.vmId(),
          dir,
          Files.size(memory) >> 10,
          ramBytes >> 20,
          tookMillis);
      return manifest.writeTo(dir);
    } catch (IOException e) {
      throw new VmmException(
          FailureKind.COMMAND_FAILED, "snapshot of " + vm.vmId() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void stop(RunningVm vm, Duration grace) {
    OptionalLong pid = VmProcesses.readPidFile(vm.vmDir().resolve(VmProcesses.PID_FILE));
    long target = pid.orElse(vm.pid());
    if (!VmProcesses.isVmm(target, vm.vmDir())) {
      return;
    }
    try (QmpClient qmp = QmpClient.connect(vm.qmpSocket(), Duration.ofSeconds(2))) {
      qmp.quit(Duration.ofSeconds(2));
    } catch (IOException e) {
      // A socket that closes under 'quit' is QEMU exiting; any other failure falls back to signals.
      log.debug("QMP quit of {} did not answer: {}", vm.vmId(), e.getMessage());
    }
    if (VmProcesses.awaitExit(target, vm.vmDir(), grace)) {
      return;
    }
    ProcessHandle.of(target).ifPresent(ProcessHandle::destroy);
    if (VmProcesses.awaitExit(target, vm.vmDir(), grace)) {
      return;
    }
    log.warn("VMM {} of {} ignored quit and SIGTERM; sending SIGKILL", target, vm.vmId());
    ProcessHandle.of(target).ifPresent(ProcessHandle::destroyForcibly);
    if (!VmProcesses.awaitExit(target, vm.vmDir(), Duration.ofSeconds(10))) {
      throw new VmmException(
          FailureKind.COMMAND_FAILED, "VMM " + target + " of " + vm.vmId() + " survived SIGKILL");
    }
  }

  @Override
  public boolean alive(RunningVm vm) {
    return VmProcesses.isVmm(vm.pid(), vm.vmDir());
  }

  QemuCommandLine commandLine(VmSpec spec, MachineType machine) {
    return QemuCommandLine.forVm(config.binary(), spec, machine, accelerator.accelerator())
        .tbSizeMib(config.tbSizeMib())
        .tscKhz(tscKhz);
  }

  /**
   * What a restore loads: the device state, and whether the RAM comes from a RAM image instead of
   * the stream.
   */
  private record Incoming(Path state, boolean separateRam) {}

  private RunningVm start(
      VmSpec spec, QemuCommandLine command, MachineType machine, Incoming incoming) {
    try {
      Files.deleteIfExists(spec.qmpSocket());
      Files.deleteIfExists(spec.pidFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> argv = command.build();
    long startedAt = System.currentTimeMillis();
    long started = System.nanoTime();
    try {
      // With -daemonize the command returns once the VMM is set up and has written its pid file.
      Commands.check(argv, config.startTimeout());
    } catch (CommandFailedException e) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "QEMU for " + spec.vmId() + " did not start: " + e.getMessage() + serialTail(spec),
          e);
    }
    long pid =
        VmProcesses.readPidFile(spec.pidFile())
            .orElseThrow(
                () ->
                    new VmmException(
                        FailureKind.VMM_FAILED_TO_START,
                        "QEMU for " + spec.vmId() + " wrote no pid file"));
    try (QmpClient qmp = QmpClient.connect(spec.qmpSocket(), config.startTimeout())) {
      if (incoming != null) {
        if (incoming.separateRam()) {
          // The destination must agree that the RAM block is not in the stream before the stream
          // starts.
          qmp.setMigrationCapability(IGNORE_SHARED, true, QMP_COMMAND);
          qmp.migrateIncoming(QemuCommandLine.incomingUri(incoming.state()), QMP_COMMAND);
        }
        awaitStatusLeaves(qmp, spec, pid, "inmigrate", started);
        qmp.cont(QMP_COMMAND);
      }
      awaitRunning(qmp, spec, pid, started);
    } catch (IOException | RuntimeException e) {
      killQuietly(pid, spec.vmDir());
      if (e instanceof VmmException vmm) {
        throw vmm;
      }
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "QEMU for "
              + spec.vmId()
              + " did not reach 'running': "
              + e.getMessage()
              + serialTail(spec),
          e);
    }
    long startMillis = (System.nanoTime() - started) / 1_000_000;
    LaunchRecord launch =
        new LaunchRecord(
            spec.vmId(),
            spec.imageId(),
            name(),
            machine.label(),
            accelerator.accelerator().label(),
            spec.memoryMib(),
            spec.vcpus(),
            command.kernelCmdline(),
            pid,
            startedAt,
            startMillis);
    launch.write(spec.vmDir());
    log.info(
        "{} {} with QEMU pid {} ({}, {}) in {} ms",
        incoming != null ? "restored" : "booted",
        spec.vmId(),
        pid,
        machine.label(),
        accelerator.accelerator().label(),
        startMillis);
    return launch.toRunningVm(spec.vmDir());
  }

  private void awaitRunning(QmpClient qmp, VmSpec spec, long pid, long started) throws IOException {
    long deadline = started + config.startTimeout().toNanos();
    while (true) {
      String status = qmp.status(QMP_COMMAND);
      if ("running".equals(status)) {
        return;
      }
      checkProgress(spec, pid, deadline, "'running' (now '" + status + "')");
    }
  }

  private void awaitStatusLeaves(QmpClient qmp, VmSpec spec, long pid, String state, long started)
      throws IOException {
    long deadline = started + config.startTimeout().toNanos();
    while (true) {
      String status = qmp.status(QMP_COMMAND);
      if (!state.equals(status)) {
        return;
      }
      checkProgress(spec, pid, deadline, "the memory state to load (still '" + status + "')");
    }
  }

  private void checkProgress(VmSpec spec, long pid, long deadline, String waitingFor) {
    if (!VmProcesses.isVmm(pid, spec.vmDir())) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "QEMU "
              + pid
              + " for "
              + spec.vmId()
              + " exited while waiting for "
              + waitingFor
              + serialTail(spec));
    }
    if (System.nanoTime() > deadline) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START,
          "timed out after "
              + config.startTimeout().toMillis()
              + " ms waiting for QEMU "
              + pid
              + " of "
              + spec.vmId()
              + " to report "
              + waitingFor
              + serialTail(spec));
    }
    // No heartbeat per poll: bootVm, the only caller, heartbeats in the background for its whole
    // run.
    sleep(STATUS_POLL_MILLIS);
  }

  private void awaitMigration(QmpClient qmp, RunningVm vm) throws IOException {
    long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
    while (true) {
      JsonNode state = qmp.migrationStatus(QMP_COMMAND);
      String status = state.path("status").asText();
      switch (status) {
        case "completed" -> {
          return;
        }
        case "failed", "cancelled" ->
            throw new VmmException(
                FailureKind.COMMAND_FAILED,
                "migration of "
                    + vm.vmId()
                    + " to a file "
                    + status
                    + ": "
                    + state.path("error-desc").asText(""));
        default -> {
          if (System.nanoTime() > deadline) {
            throw new VmmException(
                FailureKind.COMMAND_FAILED,
                "timed out after "
                    + MIGRATION_TIMEOUT.toSeconds()
                    + " s waiting for the memory of "
                    + vm.vmId()
                    + " to be written (migration '"
                    + status
                    + "')");
          }
          heartbeat.beat("writing memory snapshot: " + status);
          sleep(20);
        }
      }
    }
  }

  /**
   * The restored VM's own overlay on the snapshot's disk. {@code qemu-img create} opens the whole
   * backing chain and takes tens to hundreds of milliseconds here, a copy of an empty overlay about
   * one, so the first restore of a snapshot keeps an empty overlay as a template for the next ones.
   */
  private static void createRestoreOverlay(Path overlay, SnapshotFiles snapshot) {
    Path template = snapshot.dir().resolve(OVERLAY_TEMPLATE);
    try {
      if (Files.isRegularFile(template)) {
        Files.copy(template, overlay, StandardCopyOption.REPLACE_EXISTING);
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    createOverlay(overlay, snapshot.disk(), "qcow2");
    try {
      Path tmp = Files.createTempFile(snapshot.dir(), ".overlay-", ".tmp");
      try {
        Files.copy(overlay, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(
            tmp, template, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      log.debug("no overlay template kept in {}: {}", snapshot.dir(), e.getMessage());
    }
  }

  private static void createOverlay(Path overlay, Path backing, String backingFormat) {
    try {
      Files.deleteIfExists(overlay);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!Files.isRegularFile(backing)) {
      throw new VmmException(
          FailureKind.VMM_FAILED_TO_START, "disk " + backing + " does not exist");
    }
    Commands.check(
        List.of(
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            backingFormat,
            "-b",
            QemuCommandLine.safe(backing),
            QemuCommandLine.safe(overlay)),
        Duration.ofSeconds(30));
  }

  private static void killQuietly(long pid, Path vmDir) {
    if (VmProcesses.isVmm(pid, vmDir)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      VmProcesses.awaitExit(pid, vmDir, Duration.ofSeconds(5));
    }
  }

  static String serialTail(VmSpec spec) {
    String tail = SerialLog.tail(spec.serialLog(), 1500);
    return tail.isBlank() ? "" : "; serial log tail:\n" + tail;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VmmException(FailureKind.COMMAND_FAILED, "interrupted");
    }
  }
}
