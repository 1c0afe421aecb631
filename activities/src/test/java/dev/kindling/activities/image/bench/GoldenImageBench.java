package dev.kindling.activities.image.bench;

import dev.kindling.activities.image.ImageVerifier;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.readiness.AgentClient;
import dev.kindling.activities.readiness.ProbeTarget;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.readiness.VmmLiveness;
import dev.kindling.activities.readiness.VncDesktop;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.MachineType;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Template;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the golden image on this host: build times (cold, rebuild on a cached base, cache hit),
 * its size, and boot to RFB-ready through the same classes production uses ({@link
 * NetworkActivitiesImpl#createNetwork} → {@link VmmActivitiesImpl#bootVm} → {@link
 * ReadinessActivitiesImpl#awaitReady}, which posts the VM's password and completes the RFB
 * handshake through websockify). Writes Markdown. A benchmark, not a test: it asserts nothing.
 *
 * <pre>
 * GoldenImageBench [--cold | --no-builds] [--no-rotation-check] [--quiet-wait SECONDS] [--runs N] [--machines pc,microvm] [--vcpus 1,2] [--memory MiB]
 *                  [--kernel-args "..."] [--timeline] [--out results.md]
 * </pre>
 */
public final class GoldenImageBench {
  private static final Logger log = LoggerFactory.getLogger(GoldenImageBench.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final long MIB = 1024 * 1024;

  /**
   * Serial-log markers worth a column; their lines appear only with enough kernel/systemd
   * verbosity.
   */
  private static final Map<String, String> MARKERS = new LinkedHashMap<>();

  static {
    MARKERS.put("kernel", "Linux version");
    MARKERS.put("ready line", "KINDLING-READY");
  }

  /**
   * Readiness stages in order; the per-stage columns of the table (ms each stage took, median run).
   */
  private static final List<String> STAGES =
      List.of(
          "guest-reachable",
          "agent-health",
          "secrets",
          "tcp-6080",
          "websocket-upgrade",
          "rfb-handshake");

  private record Options(
      boolean builds,
      boolean cold,
      boolean rotation,
      Duration quietWait,
      int runs,
      List<MachineType> machines,
      List<Integer> vcpus,
      int memoryMib,
      String kernelArgs,
      boolean timeline,
      Path out) {}

  private record BootSample(
      long readyMillis,
      long vmmStartMillis,
      Map<String, Long> stages,
      Map<String, Long> markers,
      List<SerialTimeline.Line> timeline,
      boolean contended,
      String rotation,
      double loadBefore) {}

  public static void main(String[] args) throws Exception {
    Options options = parse(args);
    HostPaths paths = HostPaths.fromEnvironment();
    StringBuilder md = new StringBuilder();
    md.append("## Golden image — results of `bench/image.sh`\n\n");
    md.append("- Date: ")
        .append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append('\n');
    md.append("- Host: ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" CPUs, ")
        .append(cpuModel())
        .append(", kernel ")
        .append(System.getProperty("os.version"))
        .append('\n');

    BuildOptions build = BuildOptions.defaults(paths);
    // The image the boots use, in the real cache (usually a cache hit); build timings use their own
    // caches.
    BuiltImage image = new ImageBuilder().build(build);
    if (options.builds()) {
      builds(build, options, md);
    }
    md.append(
        "\n### Size\n\n| image | rootfs file | used in rootfs | kernel | initrd |\n|---|---|---|---|---|\n");
    md.append("| `")
        .append(image.manifest().id(), 0, 12)
        .append("` | ")
        .append(mib(image.manifest().rootfsBytes()))
        .append(" | ")
        .append(mib(image.manifest().usedBytes()))
        .append(" | ")
        .append(mib(Files.size(image.kernel())))
        .append(" | ")
        .append(mib(Files.size(image.initrd())))
        .append(" |\n");

    md.append("\n### Boot → RFB-ready (cold boot, product path, median of ")
        .append(options.runs())
        .append(")\n\n");
    md.append(
        "| machine | vCPUs | accel | median ms | runs ms | VMM start ms | guest reached | agent | secrets | 6080 | upgrade | RFB"
            + " | other VMs running | host load before |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    StringBuilder timelines = new StringBuilder();
    StringBuilder rotations = new StringBuilder();
    for (MachineType machine : options.machines()) {
      QemuVmm qemu = QemuVmm.forHost(QemuConfig.defaults().withMachine(machine), Heartbeat.NONE);
      for (int vcpus : options.vcpus()) {
        List<BootSample> samples = new ArrayList<>();
        for (int run = 0; run < options.runs(); run++) {
          samples.add(boot(paths, qemu, image, vcpus, options, run == 0 && options.rotation()));
          log.info(
              "{} -smp {} run {}: ready in {} ms",
              machine.label(),
              vcpus,
              run + 1,
              samples.getLast().readyMillis());
        }
        row(md, machine, vcpus, qemu.accelerator().accelerator().label(), samples);
        samples.stream()
            .map(BootSample::rotation)
            .filter(r -> !r.isEmpty())
            .forEach(
                r ->
                    rotations
                        .append("- ")
                        .append(machine.label())
                        .append(" -smp ")
                        .append(vcpus)
                        .append(": ")
                        .append(r)
                        .append('\n'));
        if (options.timeline()) {
          BootSample last = samples.getLast();
          timelines
              .append("\n#### Serial timeline, ")
              .append(machine.label())
              .append(" -smp ")
              .append(vcpus)
              .append(" (last run; ms since bootVm)\n\n```\n");
          last.timeline()
              .forEach(l -> timelines.append(String.format("%6d %s%n", l.millis(), l.text())));
          timelines.append("```\n");
        }
      }
    }
    if (!rotations.isEmpty()) {
      md.append("\n### Password replacement (x11vnc starts with a guest-made placeholder)\n\n")
          .append(rotations);
    }
    md.append(timelines);
    Files.writeString(options.out(), md.toString());
    System.out.print(md);
  }

  /** Cold (a fresh cache, so debootstrap runs), rebuild on the cached base, and a cache hit. */
  private static void builds(BuildOptions defaults, Options options, StringBuilder md)
      throws IOException {
    md.append("\n### Build\n\n| build | seconds | note |\n|---|---|---|\n");
    HostPaths real = defaults.paths();
    if (options.cold()) {
      Path cache = Files.createTempDirectory(real.cacheDir(), ".bench-cold-");
      try {
        // Package downloads are not what this measures; debootstrap still fetches and checks the
        // indexes.
        Files.createSymbolicLink(cache.resolve("debs"), real.cacheDir().resolve("debs"));
        BuiltImage cold =
            new ImageBuilder().build(defaults.withPaths(new HostPaths(cache, real.runDir())));
        md.append("| cold (debootstrap, no cached base) | ")
            .append(seconds(cold.duration()))
            .append(" | .deb files from the local package cache |\n");
      } finally {
        FileTrees.deleteRecursively(cache);
      }
    }
    Path cache = Files.createTempDirectory(real.cacheDir(), ".bench-warm-");
    try {
      Files.createSymbolicLink(cache.resolve("debs"), real.cacheDir().resolve("debs"));
      Files.createSymbolicLink(cache.resolve("base"), real.cacheDir().resolve("base"));
      BuildOptions warm = defaults.withPaths(new HostPaths(cache, real.runDir()));
      BuiltImage rebuilt = new ImageBuilder().build(warm);
      md.append("| rebuild on the cached base (e.g. a guest file changed) | ")
          .append(seconds(rebuilt.duration()))
          .append(" | ")
          .append(
              rebuilt.cacheHit() ? "unexpected cache hit" : "image assembled, initrd, mkfs.ext4")
          .append(" |\n");
      BuiltImage hit = new ImageBuilder().build(warm);
      md.append("| unchanged rebuild (cache hit) | ")
          .append(String.format("%.3f", hit.duration().toNanos() / 1e9))
          .append(" | ")
          .append(hit.cacheHit() ? "manifest read" : "unexpected miss")
          .append(" |\n");
    } finally {
      FileTrees.deleteRecursively(cache);
    }
  }

  private static BootSample boot(
      HostPaths paths,
      QemuVmm qemu,
      BuiltImage image,
      int vcpus,
      Options options,
      boolean checkRotation) {
    String vmId = ImageVerifier.newVmId();
    String requestId = "bench-" + vmId;
    NetworkActivitiesImpl network = new NetworkActivitiesImpl(paths);
    VmProcesses processes = new VmProcesses(paths);
    VmmActivitiesImpl vmms = new VmmActivitiesImpl(paths, qemu, options.kernelArgs(), STOP_GRACE);
    VmmLiveness liveness = VmmLiveness.whileAlive(vmId, () -> processes.alive(vmId));
    ReadinessActivitiesImpl readiness = new ReadinessActivitiesImpl(paths, id -> liveness);
    awaitQuietHost(options.quietWait());
    boolean contended = otherVmms(0);
    double load = loadAverage();
    VmNetwork net = network.createNetwork(new NetworkRequest(requestId, vmId));
    try {
      long started = System.nanoTime();
      try (SerialTimeline timeline =
          new SerialTimeline(paths.vmDir(vmId).resolve("serial.log"), started)) {
        VmHandle handle =
            vmms.bootVm(
                new BootRequest(
                    requestId, vmId, image.ref(), net, BootMode.COLD, options.memoryMib(), vcpus));
        contended |= otherVmms(1);
        ReadinessReport report;
        try {
          report =
              readiness.awaitReady(
                  new ReadinessRequest(
                      new VmRef(requestId, vmId, net), READY_TIMEOUT.toMillis(), null));
        } catch (RuntimeException e) {
          log.error(
              "{} did not become ready; its serial console (ms since bootVm):\n{}",
              vmId,
              timeline.lines().stream()
                  .map(l -> String.format("%6d %s", l.millis(), l.text()))
                  .collect(Collectors.joining("\n")));
          throw e;
        }
        long readyMillis = (System.nanoTime() - started) / 1_000_000;
        contended |= otherVmms(1);
        Map<String, Long> stages =
            report.stages().stream()
                .collect(
                    Collectors.toMap(
                        StageTiming::stage, StageTiming::millis, Long::sum, LinkedHashMap::new));
        // The ready line is printed after the password arrives; give it a moment to reach the log.
        sleep(300);
        Map<String, Long> markers = new LinkedHashMap<>();
        MARKERS.forEach((name, marker) -> markers.put(name, timeline.firstSeen(marker)));
        String rotation =
            checkRotation
                ? passwordRotation(ProbeTarget.forVm(new VmRef(requestId, vmId, net), paths))
                : "";
        return new BootSample(
            readyMillis,
            handle.vmmStartMillis(),
            stages,
            markers,
            timeline.lines(),
            contended,
            rotation,
            load);
      }
    } finally {
      try {
        vmms.destroyVm(new VmRef(requestId, vmId, net));
      } finally {
        network.deleteNetwork(new NetworkRequest(requestId, vmId));
      }
    }
  }

  /**
   * Posts a second password to the ready VM and checks that the first one is refused and the second
   * accepted through websockify: x11vnc must read the replaced password file at every
   * authentication, which is what makes the guest-made placeholder harmless once the host's
   * password arrived.
   */
  private static String passwordRotation(ProbeTarget first) {
    String second = "R" + HexFormat.of().formatHex(randomBytes(4)).substring(0, 7);
    ProbeTarget rotated =
        ProbeTarget.atGuest(
            first.vmId(),
            first.namespace(),
            first.agent().getHostString(),
            second,
            first.serialLog());
    try {
      AgentClient.Response answer =
          new AgentClient(
                  first.namespace(), first.agent(), Duration.ofSeconds(1), Duration.ofSeconds(60))
              .postSecrets(second, null);
      if (answer.status() != 204) {
        return "FAILED: POST /v1/secrets answered " + answer.status();
      }
      String old;
      try (VncDesktop desktop = VncDesktop.open(first, Duration.ofSeconds(10))) {
        old = "ACCEPTED (wrong)";
      } catch (IOException e) {
        old = "refused (" + e.getMessage() + ")";
      }
      try (VncDesktop desktop = VncDesktop.open(rotated, Duration.ofSeconds(10))) {
        return "after a second POST /v1/secrets: previous password "
            + old
            + "; new password accepted, "
            + desktop.serverInit().width()
            + "x"
            + desktop.serverInit().height();
      }
    } catch (IOException e) {
      return "FAILED: " + e;
    }
  }

  private static void row(
      StringBuilder md, MachineType machine, int vcpus, String accel, List<BootSample> samples) {
    List<Long> ready = samples.stream().map(BootSample::readyMillis).sorted().toList();
    BootSample median =
        samples.stream()
            .sorted(Comparator.comparingLong(BootSample::readyMillis))
            .toList()
            .get(samples.size() / 2);
    md.append("| ")
        .append(machine.label())
        .append(" | ")
        .append(vcpus)
        .append(" | ")
        .append(accel)
        .append(" | **")
        .append(ready.get(ready.size() / 2))
        .append("** | ")
        .append(
            samples.stream()
                .map(s -> Long.toString(s.readyMillis()))
                .collect(Collectors.joining(", ")))
        .append(" | ")
        .append(median.vmmStartMillis());
    for (String stage : STAGES) {
      md.append(" | ").append(stageMillis(median.stages(), stage));
    }
    md.append(" | ")
        .append(samples.stream().anyMatch(BootSample::contended) ? "yes" : "no")
        .append(" | ")
        .append(
            samples.stream()
                .map(s -> String.format("%.1f", s.loadBefore()))
                .collect(Collectors.joining(", ")))
        .append(" |\n");
  }

  private static String stageMillis(Map<String, Long> stages, String stage) {
    Long millis = stages.get(stage);
    return millis == null ? "–" : Long.toString(millis);
  }

  /**
   * The host's one-minute load average: other work on a 2-CPU host slows an emulated guest
   * directly.
   */
  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Waits up to {@code limit} for VMs of others on this host to end, so boots are timed on an idle
   * host.
   */
  private static void awaitQuietHost(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (otherVmms(0) && System.nanoTime() < deadline) {
      sleep(1000);
    }
  }

  /** Whether more QEMU processes run than the {@code own} this benchmark started. */
  private static boolean otherVmms(int own) {
    long count =
        ProcessHandle.allProcesses()
            .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false))
            .count();
    return count > own;
  }

  private static Options parse(String[] args) {
    boolean cold = false;
    boolean builds = true;
    boolean rotation = true;
    Duration quietWait = Duration.ofSeconds(120);
    boolean timeline = false;
    int runs = 3;
    int memory = Template.DEFAULT_MEMORY_MIB;
    List<MachineType> machines = List.of(MachineType.PC, MachineType.MICROVM);
    List<Integer> vcpus = List.of(1);
    String kernelArgs = "";
    Path out = Path.of("bench-image-results.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--cold" -> cold = true;
        case "--no-builds" -> builds = false;
        case "--no-rotation-check" -> rotation = false;
        case "--quiet-wait" -> quietWait = Duration.ofSeconds(Long.parseLong(args[++i]));
        case "--timeline" -> timeline = true;
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--memory" -> memory = Integer.parseInt(args[++i]);
        case "--machines" ->
            machines = Stream.of(args[++i].split(",")).map(MachineType::parse).toList();
        case "--vcpus" -> vcpus = Stream.of(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--kernel-args" -> kernelArgs = args[++i];
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return new Options(
        builds,
        cold,
        rotation,
        quietWait,
        runs,
        machines,
        vcpus,
        memory,
        kernelArgs,
        timeline,
        out);
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / (double) MIB);
  }

  private static String seconds(Duration duration) {
    return String.format("%.1f", duration.toMillis() / 1000.0);
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private GoldenImageBench() {}
}
