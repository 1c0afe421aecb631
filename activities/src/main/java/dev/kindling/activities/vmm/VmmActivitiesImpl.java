package dev.kindling.activities.vmm;

import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.OwnershipRecord;
import dev.kindling.activities.network.RequestIds;
import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.images.ImageFiles;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.SnapshotRequest;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.host.VmmActivities;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots, destroys and snapshots VMs with one {@link Vmm}. Every input is validated before the host
 * changes; boots are idempotent per request id (a retry finds the live VMM through its pid file,
 * adopts it when an earlier attempt saw it run the guest and replaces it otherwise) and heartbeat
 * while they run; destroys succeed when the VM is already gone.
 */
public final class VmmActivitiesImpl implements VmmActivities {
  private static final Logger log = LoggerFactory.getLogger(VmmActivitiesImpl.class);

  /**
   * How often bootVm tells Temporal its worker is alive: well inside the heartbeat timeout of
   * {@code HostStubs.BOOT}, so only a dead worker misses it.
   */
  static final Duration BOOT_HEARTBEAT = Duration.ofSeconds(1);

  private static final String STAGING_PREFIX = ".staging-";
  private static final Duration ABANDONED_STAGING_AGE = Duration.ofMinutes(15);

  private final HostPaths paths;
  private final Vmm vmm;
  private final String extraKernelArgs;
  private final Duration stopGrace;

  /**
   * @param extraKernelArgs appended to every guest's kernel command line (setting vm.kernelArgs)
   * @param stopGrace how long a VMM may take to exit after quit, and again after SIGTERM
   */
  public VmmActivitiesImpl(HostPaths paths, Vmm vmm, String extraKernelArgs, Duration stopGrace) {
    this.paths = paths;
    this.vmm = vmm;
    this.extraKernelArgs = extraKernelArgs == null ? "" : extraKernelArgs.strip();
    this.stopGrace = stopGrace;
  }

  @Override
  public VmHandle bootVm(BootRequest request) {
    try (var _ = BackgroundHeartbeat.start("bootVm", BOOT_HEARTBEAT)) {
      return HostFailures.typed(() -> boot(request));
    }
  }

  private VmHandle boot(BootRequest request) throws IOException {
    String vmId = Validation.vmId(request.vmId());
    String requestId = RequestIds.check(request.requestId());
    if (request.image() == null) {
      throw new InvalidInputException("image", "is required");
    }
    String imageId = Validation.imageId(request.image().imageId());
    BootMode mode = resolveMode(request);
    VmNetwork network = request.network() == null ? VmNetwork.standard(vmId) : request.network();
    if (!GuestNetwork.namespaceFor(vmId).equals(network.namespace())) {
      throw new InvalidInputException(
          "network",
          "namespace '"
              + network.namespace()
              + "' is not the VM's own ("
              + GuestNetwork.namespaceFor(vmId)
              + ")");
    }
    Validation.interfaceName(network.tap());
    Path vmDir = paths.vmDir(vmId);

    var previous = BootRecord.read(vmDir);
    OptionalLong livePid = new VmProcesses(paths).livePid(vmId);
    if (livePid.isPresent()) {
      if (previous.isEmpty() || !previous.get().requestId().equals(requestId)) {
        throw FailureKind.OWNERSHIP_CONFLICT.failure(
            "a VMM (pid "
                + livePid.getAsLong()
                + ") already runs "
                + vmId
                + " for request "
                + previous.map(BootRecord::requestId).orElse("unknown")
                + ", not "
                + requestId);
      }
      var launch = LaunchRecord.read(vmDir);
      if (launch.isPresent()) {
        // An earlier attempt saw this VMM run the guest (the launch record is written only then);
        // its
        // worker died before reporting it. Adopting keeps the guest's boot progress.
        log.info(
            "boot of {} retried by request {}: adopting VMM {}, which already runs the guest",
            vmId,
            requestId,
            livePid.getAsLong());
        return handle(launch.get().toRunningVm(vmDir), previous.get().mode());
      }
      // An earlier attempt started this VMM but never saw it run the guest: it may still be loading
      // a
      // snapshot or be half configured over QMP. Starting again from nothing is the only known
      // state.
      log.info(
          "boot of {} retried by request {}: replacing VMM {}, which an interrupted attempt started but never saw running",
          vmId,
          requestId,
          livePid.getAsLong());
      vmm.stop(new RunningVm(vmId, vmm.name(), "", livePid.getAsLong(), vmDir, 0, 0), stopGrace);
    }
    if (!NetworkNamespaces.exists(network.namespace())) {
      throw FailureKind.VMM_FAILED_TO_START.failure(
          "network namespace "
              + network.namespace()
              + " does not exist; createNetwork must run before bootVm");
    }
    ImageFiles image = ImageFiles.open(paths, imageId);
    int memoryMib = request.memoryMib() > 0 ? request.memoryMib() : image.memoryMib();
    int vcpus = request.vcpus() > 0 ? request.vcpus() : image.vcpus();
    // A snapshot is checked before anything is written for the VM, so a refused one leaves nothing
    // behind.
    SnapshotFiles snapshot =
        mode == BootMode.RESTORE ? matchingSnapshot(imageId, request.image().snapshotId()) : null;
    removeVmmFiles(vmDir);
    new BootRecord(requestId, mode, imageId, System.currentTimeMillis()).write(vmDir);
    VmSecrets.ensure(vmDir);
    VmSpec spec =
        new VmSpec(
            vmId,
            imageId,
            vmDir,
            network.namespace(),
            network.tap(),
            network.guestMac(),
            memoryMib,
            vcpus,
            image.kernel(),
            image.initrd(),
            image.rootfs(),
            kernelCmdline(image, network));
    RunningVm vm;
    if (snapshot != null) {
      vm = vmm.restore(spec, snapshot);
    } else {
      vm = vmm.boot(spec);
    }
    return handle(vm, mode);
  }

  /**
   * The snapshot {@code snapshotId} stored under {@code imageId}, refused with {@code
   * SnapshotMismatch} when its manifest is unreadable or names another image (a copied or edited
   * snapshot).
   */
  private SnapshotFiles matchingSnapshot(String imageId, String snapshotId) {
    Path snapshotDir = paths.snapshotDir(imageId, snapshotId);
    if (!Files.exists(snapshotDir.resolve(SnapshotFiles.MANIFEST))) {
      throw FailureKind.UNKNOWN_IMAGE.failure(
          "snapshot "
              + snapshotId
              + " of image "
              + imageId
              + " is not on this host ("
              + snapshotDir
              + ")");
    }
    SnapshotFiles snapshot;
    try {
      snapshot = SnapshotManifest.read(snapshotDir);
    } catch (UncheckedIOException e) {
      throw FailureKind.SNAPSHOT_MISMATCH.failure(
          "snapshot " + snapshotId + " has an unreadable manifest: " + e.getMessage());
    }
    if (!imageId.equals(snapshot.manifest().imageId())) {
      throw FailureKind.SNAPSHOT_MISMATCH.failure(
          "snapshot "
              + snapshotId
              + " in "
              + snapshotDir
              + " was taken from image "
              + snapshot.manifest().imageId()
              + ", not "
              + imageId
              + "; it is never restored against another image");
    }
    return snapshot;
  }

  @Override
  public void destroyVm(VmRef ref) {
    HostFailures.typed(
        () -> {
          String vmId = Validation.vmId(ref.vmId());
          Path vmDir = paths.vmDir(vmId);
          var boot = BootRecord.read(vmDir);
          if (boot.isPresent()
              && ref.requestId() != null
              && !ref.requestId().isBlank()
              && !boot.get().requestId().equals(ref.requestId())) {
            throw FailureKind.OWNERSHIP_CONFLICT.failure(
                "VM "
                    + vmId
                    + " was booted by request "
                    + boot.get().requestId()
                    + ", not "
                    + ref.requestId());
          }
          OptionalLong pid = VmProcesses.readPidFile(vmDir.resolve(VmProcesses.PID_FILE));
          if (pid.isPresent() && VmProcesses.isVmm(pid.getAsLong(), vmDir)) {
            RunningVm vm =
                LaunchRecord.read(vmDir)
                    .map(l -> l.toRunningVm(vmDir))
                    .orElse(new RunningVm(vmId, vmm.name(), "", pid.getAsLong(), vmDir, 0, 0));
            long started = System.nanoTime();
            vmm.stop(vm, stopGrace);
            log.info(
                "VMM {} of {} stopped in {} ms",
                pid.getAsLong(),
                vmId,
                (System.nanoTime() - started) / 1_000_000);
          }
          removeVmmFiles(vmDir);
          if (OwnershipRecord.read(vmDir).isEmpty()) {
            Files.deleteIfExists(vmDir);
          }
          return null;
        });
  }

  @Override
  public String snapshotVm(SnapshotRequest request) {
    return HostFailures.typed(
        () -> {
          String vmId = Validation.vmId(request.vmId());
          RequestIds.check(request.requestId());
          String imageId = Validation.imageId(request.imageId());
          Path vmDir = paths.vmDir(vmId);
          Path result = vmDir.resolve("snapshot-" + request.requestId() + ".id");
          if (Files.exists(result)) {
            return Files.readString(result).strip();
          }
          LaunchRecord launch =
              LaunchRecord.read(vmDir)
                  .orElseThrow(
                      () ->
                          FailureKind.VMM_EXITED.failure(
                              "VM " + vmId + " has no running VMM to snapshot"));
          if (!imageId.equals(launch.imageId())) {
            throw FailureKind.SNAPSHOT_MISMATCH.failure(
                "VM " + vmId + " runs image " + launch.imageId() + ", not " + imageId);
          }
          RunningVm vm = launch.toRunningVm(vmDir);
          if (!vmm.alive(vm)) {
            throw FailureKind.VMM_EXITED.failure(
                "the VMM of " + vmId + " is not running; nothing to snapshot");
          }
          Path snapshots = paths.imageDir(imageId).resolve("snapshots");
          Path staging = snapshots.resolve(STAGING_PREFIX + vmId + "-" + request.requestId());
          deleteTree(staging);
          deleteAbandonedStaging(snapshots);
          Files.createDirectories(staging);
          String snapshotId;
          try {
            snapshotId = contentHash(vmm.snapshot(vm, staging));
            Path target = paths.snapshotDir(imageId, snapshotId);
            if (Files.exists(target)) {
              deleteTree(staging);
            } else {
              Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            }
          } catch (RuntimeException | IOException e) {
            deleteTree(staging);
            throw e;
          }
          Files.writeString(result, snapshotId + "\n");
          return snapshotId;
        });
  }

  public Vmm vmm() {
    return vmm;
  }

  /**
   * Removes what snapshots of workers that died mid-snapshot left: staging directories older than
   * any snapshot may take (the workflow's timeout is 5 minutes).
   */
  private static void deleteAbandonedStaging(Path snapshots) throws IOException {
    if (!Files.isDirectory(snapshots)) {
      return;
    }
    long abandonedBefore = System.currentTimeMillis() - ABANDONED_STAGING_AGE.toMillis();
    try (Stream<Path> entries = Files.list(snapshots)) {
      for (Path entry :
          entries.filter(p -> p.getFileName().toString().startsWith(STAGING_PREFIX)).toList()) {
        if (Files.getLastModifiedTime(entry).toMillis() < abandonedBefore) {
          log.info("removing {}, left by a snapshot that did not finish", entry);
          deleteTree(entry);
        }
      }
    }
  }

  private String kernelCmdline(ImageFiles image, VmNetwork network) {
    String cmdline =
        image.kernelCmdline().strip()
            + " kindling.ip="
            + network.guestAddress()
            + "/"
            + network.prefixLength()
            + " kindling.gw="
            + network.hostAddress();
    return extraKernelArgs.isEmpty() ? cmdline : cmdline + " " + extraKernelArgs;
  }

  private static BootMode resolveMode(BootRequest request) {
    BootMode mode = request.mode() == null ? BootMode.AUTO : request.mode();
    if (mode == BootMode.AUTO) {
      return request.image().hasSnapshot() ? BootMode.RESTORE : BootMode.COLD;
    }
    if (mode == BootMode.RESTORE && !request.image().hasSnapshot()) {
      throw new InvalidInputException("mode", "RESTORE needs an image with a snapshotId");
    }
    if (mode == BootMode.RESTORE) {
      Validation.imageId(request.image().snapshotId());
    }
    return mode;
  }

  private VmHandle handle(RunningVm vm, BootMode mode) {
    return new VmHandle(
        vm.vmId(),
        vm.vmm(),
        vm.accelerator(),
        vm.pid(),
        vm.vmDir().toString(),
        vm.serialLog().toString(),
        mode,
        vm.startedAtEpochMillis(),
        vm.startMillis());
  }

  /**
   * Removes everything the VMM side put in the VM's directory; the network's own files (owner
   * record, egress) stay for deleteNetwork.
   */
  private static void removeVmmFiles(Path vmDir) throws IOException {
    if (!Files.isDirectory(vmDir)) {
      return;
    }
    try (Stream<Path> files = Files.list(vmDir)) {
      for (Path file : files.toList()) {
        if (!NetworkActivitiesImpl.FILES.contains(file.getFileName().toString())) {
          deleteTree(file);
        }
      }
    }
  }

  private static void deleteTree(Path root) {
    FileTrees.deleteRecursively(root);
  }

  private static String contentHash(SnapshotFiles files) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 20];
      List<Path> parts =
          new java.util.ArrayList<>(
              List.of(files.manifestFile(), files.memoryState(), files.disk()));
      files.ram().ifPresent(parts::add);
      for (Path file : parts) {
        try (InputStream in = Files.newInputStream(file)) {
          for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
          }
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
