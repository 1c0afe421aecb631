package dev.kindling.worker.bench;

import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotFiles;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import dev.kindling.workflows.image.ImageBuildRequest;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Restore benchmark (not a test): restore → RFB-ready of the current image's memory snapshot.
 *
 * <ul>
 *   <li>raw: the QEMU driver's restore ({@code bootVm} RESTORE into a fresh namespace) plus the
 *       readiness probe up to a complete RFB handshake, called directly; warm page cache (after one
 *       unmeasured warm-up) and cold (the snapshot's and image's files evicted first);
 *   <li>engine: a BrowserVm workflow on the embedded stack, from its start to READY as a client
 *       sees it; its overhead is its p50 minus the raw warm p50.
 * </ul>
 *
 * Writes the "Snapshots" section of docs/BENCHMARKS.md. Run with {@code bench/restore.sh}.
 */
public final class RestoreBench {
  private static final Duration READY = Duration.ofMinutes(3);
  private static final String SECTION = "## Snapshots";

  private final int runs;
  private final int coldRuns;
  private final boolean resnapshot;
  private final List<String> compare;
  private final Path doc;

  private RestoreBench(int runs, int coldRuns, boolean resnapshot, List<String> compare, Path doc) {
    this.runs = runs;
    this.coldRuns = coldRuns;
    this.resnapshot = resnapshot;
    this.compare = compare;
    this.doc = doc;
  }

  /** One measured restore: wall time, the driver's part, the readiness stages. */
  record Run(long totalMillis, long vmmMillis, long readinessMillis, List<StageTiming> stages) {}

  public static void main(String[] args) throws Exception {
    int runs = 5;
    int coldRuns = 3;
    boolean resnapshot = false;
    List<String> compare = new ArrayList<>();
    Path doc = Path.of("docs/BENCHMARKS.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--cold-runs" -> coldRuns = Integer.parseInt(args[++i]);
        case "--resnapshot" -> resnapshot = true;
        case "--compare" -> compare.add(args[++i]);
        case "--doc" -> doc = Path.of(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "unknown option "
                    + args[i]
                    + "; use --runs N --cold-runs N --resnapshot --compare SNAPSHOT_ID --doc FILE");
      }
    }
    String markdown = new RestoreBench(runs, coldRuns, resnapshot, compare, doc).measure();
    System.out.println(markdown);
    writeSection(doc, markdown);
    System.exit(0);
  }

  private String measure() throws Exception {
    Path runDir = Files.createTempDirectory("kindling-bench-restore");
    KindlingConfig config =
        KindlingConfig.defaults()
            .with(Setting.RUN_DIR, runDir.toString())
            .with(Setting.TEMPORAL_TARGET, "localhost:0")
            .with(Setting.WORKER_METRICS_PORT, "0")
            .with(Setting.PROXY_PORT, "0");
    String contentionBefore = contention();
    try (DevStack stack = DevStack.start(config)) {
      HostServices host = stack.host();
      ImageRef image = currentImage(stack);
      SnapshotFiles snapshot =
          SnapshotManifest.read(host.paths().snapshotDir(image.imageId(), image.snapshotId()));

      Map<String, List<Run>> raw = new LinkedHashMap<>();
      restore(host, image);
      raw.put("warm", repeat(runs, () -> restore(host, image)));
      raw.put(
          "cold",
          repeat(
              coldRuns,
              () -> {
                evict(host.paths(), snapshot);
                return restore(host, image);
              }));
      Map<String, List<Run>> compared = new LinkedHashMap<>();
      for (String other : compare) {
        ImageRef owner = imageHolding(host.paths(), other);
        restore(host, owner);
        compared.put(other, repeat(runs, () -> restore(host, owner)));
      }
      Overlays overlays = overlays(snapshot, runDir);
      KindlingClient client = new KindlingClient(stack.connection().client());
      engineRun(client, host);
      List<Run> engine = repeat(runs, () -> engineRun(client, host));
      return markdown(
          host.paths(),
          image,
          snapshot,
          raw,
          compared,
          engine,
          overlays,
          contentionBefore,
          contention());
    } finally {
      // Every run checked that its VM left nothing; what remains is the empty run directory.
      FileTrees.deleteRecursively(runDir);
    }
  }

  /**
   * The current image with a snapshot; with --resnapshot, a fresh one when its RAM is still inside
   * the stream.
   */
  private ImageRef currentImage(DevStack stack) {
    ImageStore store = new ImageStore(stack.host().paths());
    ImageRef current =
        store.current(stack.config().defaultTemplate()).filter(ImageRef::hasSnapshot).orElse(null);
    boolean legacy =
        current != null
            && !SnapshotManifest.read(
                    stack.host().paths().snapshotDir(current.imageId(), current.snapshotId()))
                .manifest()
                .separateRam();
    if (current == null || (resnapshot && legacy)) {
      System.err.println("restore bench: running the golden image workflow for a fresh snapshot");
      GoldenImageWorkflow golden =
          stack
              .connection()
              .client()
              .newWorkflowStub(
                  GoldenImageWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId(
                          GoldenImageWorkflow.workflowId(stack.config().hostId(), Templates.DEFAULT)
                              + "-bench")
                      .setTaskQueue(TaskQueues.SHARED)
                      .build());
      current =
          golden.run(new ImageBuildRequest(stack.config().hostId(), true, false, null)).image();
    }
    return current;
  }

  /**
   * The image under which snapshot {@code snapshotId} is stored (a snapshot restores only with its
   * own image).
   */
  private static ImageRef imageHolding(HostPaths paths, String snapshotId) throws IOException {
    try (Stream<Path> images = Files.list(paths.imagesDir())) {
      for (Path dir : images.toList()) {
        if (Files.isRegularFile(
            dir.resolve("snapshots").resolve(snapshotId).resolve(SnapshotFiles.MANIFEST))) {
          return new ImageRef(dir.getFileName().toString(), snapshotId, null, 0, null);
        }
      }
    }
    throw new IllegalArgumentException(
        "no image in " + paths.imagesDir() + " holds snapshot " + snapshotId);
  }

  /**
   * p50 of making a restore's disk overlay with qemu-img and by copying the snapshot's empty
   * overlay template.
   */
  record Overlays(long qemuImgMillis, long templateCopyMillis) {}

  private Overlays overlays(SnapshotFiles snapshot, Path scratch) throws IOException {
    Path template = snapshot.dir().resolve(dev.kindling.activities.vmm.QemuVmm.OVERLAY_TEMPLATE);
    List<Long> qemuImg = new ArrayList<>();
    List<Long> copy = new ArrayList<>();
    Path overlay = scratch.resolve("overlay-bench.qcow2");
    for (int i = 0; i < runs; i++) {
      Files.deleteIfExists(overlay);
      long started = System.nanoTime();
      Commands.check(
          List.of(
              "qemu-img",
              "create",
              "-q",
              "-f",
              "qcow2",
              "-F",
              "qcow2",
              "-b",
              snapshot.disk().toString(),
              overlay.toString()),
          Duration.ofSeconds(30));
      qemuImg.add(millis(System.nanoTime() - started));
      Files.deleteIfExists(overlay);
      started = System.nanoTime();
      Files.copy(template, overlay);
      copy.add(millis(System.nanoTime() - started));
    }
    Files.deleteIfExists(overlay);
    return new Overlays(median(qemuImg), median(copy));
  }

  private static Run restore(HostServices host, ImageRef image) {
    String vmId = newVmId();
    String requestId = "bench-" + vmId;
    VmNetwork network = host.network().createNetwork(new NetworkRequest(requestId, vmId));
    try {
      long started = System.nanoTime();
      VmHandle vm =
          host.vmms()
              .bootVm(new BootRequest(requestId, vmId, image, network, BootMode.RESTORE, 0, 0));
      long booted = System.nanoTime();
      ReadinessReport report =
          host.readiness()
              .awaitReady(
                  new ReadinessRequest(
                      new VmRef(requestId, vmId, network), READY.toMillis(), null));
      long ready = System.nanoTime();
      return new Run(
          millis(ready - started),
          millis(booted - started),
          millis(ready - booted),
          report.stages());
    } finally {
      host.vmms().destroyVm(new VmRef(requestId, vmId, network));
      host.network().deleteNetwork(new NetworkRequest(requestId, vmId));
      requireClean(host.paths(), vmId);
    }
  }

  private static Run engineRun(KindlingClient client, HostServices host) throws Exception {
    String session = "bench-" + newVmId();
    long started = System.nanoTime();
    client.startVm(new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, null, null, null));
    try {
      client.awaitReady(session, READY);
      long ready = System.nanoTime();
      VmDescription description = client.describe(session);
      if (!BootMode.RESTORE.name().equals(description.bootMode())) {
        throw new IllegalStateException(
            session + " booted " + description.bootMode() + ", not RESTORE");
      }
      // The driver's own restore time and the probe's stages as the workflow recorded them: the
      // same
      // work a raw run measures, so what is left of the total is the engine's overhead.
      long vmm =
          description.timings().stream()
              .filter(t -> t.stage().equals("vmm-start"))
              .mapToLong(StageTiming::millis)
              .sum();
      long readiness =
          description.timings().stream()
              .filter(t -> t.stage().startsWith("readiness/"))
              .mapToLong(StageTiming::millis)
              .sum();
      return new Run(millis(ready - started), vmm, readiness, description.timings());
    } finally {
      client.release(session);
      VmDescription end = client.awaitEnd(session);
      if (end.vmId() != null) {
        requireClean(host.paths(), end.vmId());
      }
    }
  }

  private static void evict(HostPaths paths, SnapshotFiles snapshot) throws IOException {
    List<Path> files = new ArrayList<>(List.of(snapshot.memoryState(), snapshot.disk()));
    snapshot.ram().ifPresent(files::add);
    Path image = paths.imageDir(snapshot.manifest().imageId());
    files.addAll(
        List.of(
            image.resolve("rootfs.ext4"), image.resolve("vmlinuz"), image.resolve("initrd.img")));
    for (Path file : files) {
      PageCache.evict(file);
    }
  }

  private static void requireClean(HostPaths paths, String vmId) {
    LeakCheck leaks = LeakCheck.forVm(paths, vmId);
    if (!leaks.clean()) {
      throw new IllegalStateException(leaks.summary());
    }
  }

  @FunctionalInterface
  private interface Measured {
    Run run() throws Exception;
  }

  private static List<Run> repeat(int times, Measured measured) throws Exception {
    List<Run> results = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      Run run = measured.run();
      System.err.printf(
          "restore bench: %d ms (vmm %d ms, readiness %d ms: %s)%n",
          run.totalMillis(), run.vmmMillis(), run.readinessMillis(), stages(run.stages()));
      results.add(run);
    }
    return results;
  }

  private String markdown(
      HostPaths paths,
      ImageRef image,
      SnapshotFiles snapshot,
      Map<String, List<Run>> raw,
      Map<String, List<Run>> compared,
      List<Run> engine,
      Overlays overlays,
      String contentionBefore,
      String contentionAfter)
      throws IOException {
    StringBuilder md = new StringBuilder(SECTION).append("\n\n");
    md.append("Restore → RFB-ready of the current image's memory snapshot (QEMU ")
        .append(qemuVersion())
        .append(", ")
        .append(snapshot.manifest().machine())
        .append(", ")
        .append(snapshot.manifest().accelerator())
        .append(", ")
        .append(snapshot.manifest().memoryMib())
        .append(" MiB guest, ")
        .append(snapshot.manifest().vcpus())
        .append(" vCPU). ")
        .append("Measured ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append(" on ")
        .append(machine())
        .append(". ")
        .append("Contention: ")
        .append(contentionBefore)
        .append(" before, ")
        .append(contentionAfter)
        .append(" after.\n\n");
    md.append("Snapshot ")
        .append(image.snapshotId(), 0, 12)
        .append(" of image ")
        .append(image.imageId(), 0, 12)
        .append(": ")
        .append(sizes(snapshot))
        .append(".\n\n");
    md.append(
        "| series | runs | p50 restore → RFB-ready | min | max | p50 VMM start | p50 readiness | target |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (var entry : raw.entrySet()) {
      row(
          md,
          "raw, " + entry.getKey() + " page cache",
          entry.getValue(),
          "warm".equals(entry.getKey()) ? "≤ 500 ms" : "");
    }
    for (var entry : compared.entrySet()) {
      ImageRef owner = imageHolding(paths, entry.getKey());
      SnapshotFiles other =
          SnapshotManifest.read(paths.snapshotDir(owner.imageId(), entry.getKey()));
      row(
          md,
          "raw, warm, snapshot "
              + entry.getKey().substring(0, 12)
              + " of image "
              + owner.imageId().substring(0, 12)
              + " ("
              + sizes(other)
              + ")"
              + (owner.imageId().equals(image.imageId())
                  ? ""
                  : "; another image, so its guest services differ too: compare the VMM start"),
          entry.getValue(),
          "");
    }
    row(md, "engine: workflow start → READY", engine, "");
    long overhead = p50(engine, r -> r.totalMillis() - r.vmmMillis() - r.readinessMillis());
    md.append("\nEngine overhead on top of the raw restore: **")
        .append(overhead)
        .append(
            " ms** p50 (target ≤ 100 ms), per run the"
                + " workflow's start → READY minus the driver's restore and the probe's stages as that same run recorded them: placement,"
                + " the VM's network namespace and TAP, the secrets file, activity scheduling on the embedded server, and the client's 20 ms"
                + " READY poll. The difference of the p50s (engine − raw warm) is ")
        .append(p50(engine, Run::totalMillis) - p50(raw.get("warm"), Run::totalMillis))
        .append(" ms; under contention it mostly measures the noise between the series.\n\n");
    md.append("Readiness stages, p50 of the raw warm runs: ")
        .append(stageMedians(raw.get("warm")))
        .append(".\n\n");
    md.append("### What got here\n\n");
    md.append(
            "- **Guest RAM out of the migration stream.** A cold-booted VM keeps its RAM in a shared memfd; a snapshot migrates"
                + " with `x-ignore-shared`, so the state file holds only the devices (")
        .append(human(Files.size(snapshot.memoryState())))
        .append(
            " here instead of ~190 MiB with the RAM inside), and the RAM is copied once to a sparse RAM image. A restore maps"
                + " that image copy-on-write (`memory-backend-file,share=off` under `-incoming defer`): nothing is read up front, the guest"
                + " pages in only what it touches, straight from the page cache, and every VM restored from one snapshot shares the pages it"
                + " has not written (three concurrent restores cost one cached copy, not three private 190 MiB loads).\n");
    md.append(
            "- **No `qemu-img` per restore.** `qemu-img create` opens the whole backing chain: p50 ")
        .append(overlays.qemuImgMillis())
        .append(" ms here, against ")
        .append(overlays.templateCopyMillis())
        .append(
            " ms to copy the empty overlay template the first restore of a snapshot leaves beside it.\n");
    md.append(
        "- QMP status polled every 2 ms while QEMU loads; the per-VM overlay, deleted with the VM, uses `cache=unsafe`, so"
            + " a guest's fsync does not wait for the host's disk.\n\n");
    md.append("### What stands in the way\n\n");
    if ("tcg".equals(snapshot.manifest().accelerator())) {
      md.append(
          "- **TCG.** No usable KVM on this host (here `/dev/kvm` is KVM-PVM, which runs only PVM-enabled guest kernels), so QEMU emulates. Translated code"
              + " is not part of a snapshot: after a restore every guest code path (network stack, the Python agent, websockify, x11vnc)"
              + " is translated again, and the readiness stages after the VMM start are that guest-side work, not the probe.\n");
    }
    md.append(
        "- **Guest services on the readiness path** (in the golden image, not the driver): `GET /health` runs `systemctl"
            + " is-active` (fork, exec, D-Bus) on every call; websockify forks a process per connection (websocket-upgrade); x11vnc"
            + " waits to sniff for HTTP before its banner (rfb-handshake). Answering health from cached unit states (or letting the"
            + " secrets POST stand for agent health after a restore), a non-forking WebSocket bridge and no HTTP sniff would each"
            + " remove a stage's worth of interpreted work.\n");
    md.append(
        "- **ARP after a restore.** Each TAP gets a new MAC, so the restored guest's neighbour entry for the host is stale"
            + " and both sides resolve again; a fixed MAC on `tap0` and permanent neighbour entries in the namespace would keep the"
            + " snapshot's entries valid.\n");
    md.append(
        "- **Contention.** Two CPUs shared with other builds and VMs; every stage scales with the CPU share the guest gets,"
            + " so compare series measured in the same run, not across runs.\n\n");
    md.append(
        "Raw: the QEMU driver's `bootVm` RESTORE into a fresh namespace, then the readiness probe through a complete RFB"
            + " handshake with the VM's own password, called directly (one unmeasured warm-up first). Cold: the snapshot's files and"
            + " the image's rootfs, kernel and initrd evicted from the page cache (`posix_fadvise DONTNEED`) before each run."
            + " Engine: a BrowserVm workflow on the embedded Temporal server, from `startVm` to READY as the client sees it.\n\n");
    md.append("Reproduce (as root): `bench/restore.sh`\n");
    return md.toString();
  }

  private static void row(StringBuilder md, String name, List<Run> runs, String target) {
    md.append("| ")
        .append(name)
        .append(" | ")
        .append(runs.size())
        .append(" | **")
        .append(p50(runs, Run::totalMillis))
        .append(" ms** | ")
        .append(runs.stream().mapToLong(Run::totalMillis).min().orElse(0))
        .append(" ms | ")
        .append(runs.stream().mapToLong(Run::totalMillis).max().orElse(0))
        .append(" ms | ")
        .append(p50(runs, Run::vmmMillis))
        .append(" ms | ")
        .append(p50(runs, Run::readinessMillis))
        .append(" ms | ")
        .append(target)
        .append(" |\n");
  }

  private static String stageMedians(List<Run> runs) {
    Map<String, List<Long>> byStage = new LinkedHashMap<>();
    for (Run run : runs) {
      for (StageTiming stage : run.stages()) {
        byStage.computeIfAbsent(stage.stage(), s -> new ArrayList<>()).add(stage.millis());
      }
    }
    return byStage.entrySet().stream()
        .map(e -> e.getKey() + " " + median(e.getValue()) + " ms")
        .collect(Collectors.joining(", "));
  }

  private static String sizes(SnapshotFiles snapshot) throws IOException {
    String state = "device/memory state " + human(Files.size(snapshot.memoryState()));
    if (snapshot.ram().isEmpty()) {
      return state + " (guest RAM inside it)";
    }
    Path ram = snapshot.ram().get();
    return state
        + ", RAM image "
        + human(Files.size(ram))
        + " long with "
        + human(PageCache.allocated(ram))
        + " of data (sparse)";
  }

  private static long p50(List<Run> runs, java.util.function.ToLongFunction<Run> value) {
    return median(runs.stream().map(r -> value.applyAsLong(r)).toList());
  }

  static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    if (sorted.isEmpty()) {
      return 0;
    }
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String stages(List<StageTiming> stages) {
    return stages.stream().map(t -> t.stage() + " " + t.millis()).collect(Collectors.joining(", "));
  }

  static String contention() {
    String qemus = Commands.run(List.of("pgrep", "-c", "qemu-system")).stdout().strip();
    String load;
    try {
      load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      load = "?";
    }
    return (qemus.isEmpty() ? "0" : qemus) + " other QEMU processes, load " + load;
  }

  static String machine() {
    String model = "unknown CPU";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      model =
          lines
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).strip())
              .findFirst()
              .orElse(model);
    } catch (IOException ignored) {
      // Keep "unknown CPU".
    }
    long memoryGib = 0;
    try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
      memoryGib =
          lines
              .filter(l -> l.startsWith("MemTotal:"))
              .map(l -> Long.parseLong(l.replaceAll("\\D", "")) >> 20)
              .findFirst()
              .orElse(0L);
    } catch (IOException ignored) {
      // Keep 0.
    }
    return Runtime.getRuntime().availableProcessors()
        + " CPUs ("
        + model
        + "), "
        + memoryGib
        + " GiB";
  }

  static String qemuVersion() {
    String version =
        Commands.run(List.of("qemu-system-x86_64", "--version"))
            .stdout()
            .lines()
            .findFirst()
            .orElse("");
    return version.replace("QEMU emulator version ", "").strip();
  }

  private static String human(long bytes) {
    return bytes >= 10L << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  private static String newVmId() {
    byte[] bytes = new byte[5];
    ThreadLocalRandom.current().nextBytes(bytes);
    return "vm" + HexFormat.of().formatHex(bytes);
  }

  /**
   * Replaces the "Snapshots" section of {@code doc} (up to the next second-level heading), or
   * appends it.
   */
  static void writeSection(Path doc, String section) throws IOException {
    writeSection(doc, SECTION, section);
  }

  /**
   * Replaces the section under {@code heading} of {@code doc} (up to the next second-level
   * heading), or appends it.
   */
  static void writeSection(Path doc, String heading, String section) throws IOException {
    String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n";
    int start = text.indexOf("\n" + heading + "\n");
    String updated;
    if (start < 0) {
      updated = text.stripTrailing() + "\n\n" + section;
    } else {
      int end = text.indexOf("\n## ", start + 1);
      updated =
          text.substring(0, start + 1) + section + (end < 0 ? "" : "\n" + text.substring(end + 1));
    }
    Files.writeString(doc, updated);
  }
}
