package dev.kindling.worker.bench;

import dev.kindling.activities.image.ImageVerifier;
import dev.kindling.activities.image.VerifyResult;
import dev.kindling.activities.image.VerifySettings;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.BuiltImage;
import dev.kindling.snapshot.DebootstrapAssembler;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.ImageRecipe;
import dev.kindling.snapshot.Template;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.runtime.ProxiedDesktop;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Per built-in template: image size (file and used), build time on the cached base (the debootstrap
 * layer is there, the template's package layer and image are not), cold boot → app visible (the
 * canary's readiness, desktop stage included), and restore → app visible through the proxy (start
 * request → READY → one non-blank framebuffer through the proxy), p50 of N. Rewrites the
 * "Templates" section of docs/BENCHMARKS.md.
 *
 * <pre>sudo bench/templates.sh [--runs N] [--templates terminal,browser] [--doc FILE]</pre>
 */
public final class TemplateBench {
  private static final String SECTION = "## Templates";
  private static final Duration READY = Duration.ofMinutes(6);

  record Row(
      String template,
      long fileBytes,
      long usedBytes,
      long buildMillis,
      long coldMillis,
      long coldDesktopMillis,
      List<Long> restoreMillis,
      List<Long> readyMillis,
      List<Long> desktopStageMillis) {}

  public static void main(String[] args) throws Exception {
    int runs = 5;
    List<String> templates = Templates.BUILT_IN;
    Path doc = Path.of("docs/BENCHMARKS.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--templates" -> templates = List.of(args[++i].split(","));
        case "--doc" -> doc = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path runDir = Files.createTempDirectory("kindling-bench-templates-");
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.RUN_DIR, runDir.toString());
    flags.put(Setting.TEMPORAL_TARGET, "localhost:0");
    flags.put(Setting.WORKER_METRICS_PORT, "0");
    flags.put(Setting.PROXY_PORT, "0");
    KindlingConfig config = KindlingConfig.load(null, Map.of(), flags);
    String contention = RestoreBench.contention();
    List<Row> rows = new ArrayList<>();
    try (DevStack stack = DevStack.start(config)) {
      KindlingClient client = new KindlingClient(stack.connection().client());
      for (String id : templates) {
        Template template = Templates.byId(id, config.templatesDir());
        System.out.println("==> " + id + ": build on the cached base");
        long buildMillis = buildOnCachedBase(template, stack.host().paths());
        ImageRef image = CurrentImage.ensure(stack, id);
        var manifest = new ImageStore(stack.host().paths()).find(image.imageId()).manifest();
        System.out.println("==> " + id + ": cold boot → app visible");
        VerifyResult cold =
            new ImageVerifier(
                    stack.host().paths(),
                    new ImageStore(stack.host().paths()),
                    stack.host().network(),
                    stack.host().vmms(),
                    stack.host().readiness(),
                    VerifySettings.defaults())
                .verify(image.imageId());
        if (!cold.passed()) {
          throw new IllegalStateException(id + ": cold boot failed: " + cold.failure());
        }
        long coldDesktop =
            cold.readinessStages().stream()
                .filter(s -> s.stage().equals("desktop"))
                .mapToLong(StageTiming::millis)
                .sum();
        List<Long> restore = new ArrayList<>();
        List<Long> ready = new ArrayList<>();
        List<Long> desktop = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
          System.out.println(
              "==> "
                  + id
                  + ": restore → app visible through the proxy, run "
                  + (run + 1)
                  + " of "
                  + runs);
          long[] measured = restoreThroughProxy(stack, client, id);
          restore.add(measured[0]);
          ready.add(measured[1]);
          desktop.add(measured[2]);
        }
        rows.add(
            new Row(
                id,
                manifest.rootfsBytes(),
                manifest.usedBytes(),
                buildMillis,
                cold.bootToReadyMillis(),
                coldDesktop,
                restore,
                ready,
                desktop));
      }
    } finally {
      FileTrees.deleteRecursively(runDir);
    }
    String section = section(rows, runs, contention);
    System.out.println(section);
    RestoreBench.writeSection(doc, SECTION, section);
  }

  /**
   * Builds {@code template}'s image in a scratch cache that holds only the bootstrapped base (and
   * the downloaded packages), as on a host that built another template before: apt, the image steps
   * and mkfs, not debootstrap.
   */
  private static long buildOnCachedBase(Template template, HostPaths real) throws IOException {
    Path scratch = Files.createTempDirectory(real.cacheDir(), ".bench-build-");
    try {
      HostPaths paths = new HostPaths(scratch, real.runDir());
      BuildOptions options = BuildOptions.forTemplate(template, paths);
      ImageRecipe recipe = options.recipe();
      Path base =
          real.cacheDir().resolve("base").resolve(DebootstrapAssembler.baseKey(recipe) + ".tar");
      if (!Files.isRegularFile(base)) {
        new ImageBuilder().build(BuildOptions.forTemplate(template, real));
      }
      Files.createDirectories(scratch.resolve("base"));
      Files.createLink(scratch.resolve("base").resolve(base.getFileName()), base);
      Files.createDirectories(scratch.resolve("debs"));
      try (Stream<Path> debs = Files.list(real.cacheDir().resolve("debs"))) {
        for (Path deb : debs.filter(p -> p.toString().endsWith(".deb")).toList()) {
          Files.createLink(scratch.resolve("debs").resolve(deb.getFileName()), deb);
        }
      }
      BuiltImage built = new ImageBuilder().build(options);
      return built.duration().toMillis();
    } finally {
      FileTrees.deleteRecursively(scratch);
    }
  }

  /** {start → proxied non-blank frame, start → READY, the desktop stage} in milliseconds. */
  private static long[] restoreThroughProxy(DevStack stack, KindlingClient client, String template)
      throws Exception {
    String session = "bench-" + template + "-" + UUID.randomUUID().toString().substring(0, 8);
    long started = System.nanoTime();
    client.startVm(
        new VmRequest(session, null, BootMode.RESTORE, 600, 0, 0, 0, template, null, null));
    try {
      client.awaitReady(session, READY);
      long ready = System.nanoTime();
      VmDescription description = client.describe(session);
      String token = stack.proxy().tokens().mint(session);
      ProxiedDesktop desktop =
          ProxiedDesktop.capture(
              new InetSocketAddress("127.0.0.1", stack.proxy().port()),
              stack.proxy().config().websocketPath(session),
              token,
              Duration.ofSeconds(30));
      long visible = System.nanoTime();
      if (desktop.frame().blank()) {
        throw new IllegalStateException(
            session + ": the proxied desktop is blank: " + desktop.frame().summary());
      }
      long desktopStage =
          description.timings().stream()
              .filter(t -> t.stage().equals("readiness/desktop"))
              .mapToLong(StageTiming::millis)
              .sum();
      return new long[] {
        (visible - started) / 1_000_000, (ready - started) / 1_000_000, desktopStage
      };
    } finally {
      client.release(session);
      client.awaitEnd(session);
    }
  }

  private static String section(List<Row> rows, int runs, String contention) {
    StringBuilder md = new StringBuilder(SECTION + "\n\n");
    md.append("`bench/templates.sh` (")
        .append(LocalDate.now())
        .append(", ")
        .append(RestoreBench.machine())
        .append(", QEMU ")
        .append(RestoreBench.qemuVersion())
        .append(" under TCG; at the start ")
        .append(contention)
        .append(
            "). Build: the template's image in a scratch cache holding only the bootstrapped base and")
        .append(
            " the downloaded packages (apt in the chroot, the image steps, mkfs). Cold: the canary's boot → app visible (readiness")
        .append(
            " through the desktop stage). Restore: start request → READY → one non-blank framebuffer through the proxy,")
        .append(" p50 of ")
        .append(runs)
        .append(" (all runs listed).\n\n");
    md.append(
            "| template | image file / used | build on cached base | cold boot → app visible (desktop stage) |")
        .append(
            " restore → app visible through the proxy, p50 | of which start → READY / desktop stage, p50 | runs (ms) |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    for (Row row : rows) {
      md.append("| ")
          .append(row.template())
          .append(" | ")
          .append(row.fileBytes() >> 20)
          .append(" / ")
          .append(row.usedBytes() >> 20)
          .append(" MiB")
          .append(" | ")
          .append(seconds(row.buildMillis()))
          .append(" | ")
          .append(seconds(row.coldMillis()))
          .append(" (")
          .append(seconds(row.coldDesktopMillis()))
          .append(")")
          .append(" | ")
          .append(p50(row.restoreMillis()))
          .append(" ms")
          .append(" | ")
          .append(p50(row.readyMillis()))
          .append(" / ")
          .append(p50(row.desktopStageMillis()))
          .append(" ms")
          .append(" | ")
          .append(row.restoreMillis())
          .append(" |\n");
    }
    return md.toString();
  }

  private static long p50(List<Long> values) {
    return RestoreBench.median(values);
  }

  private static String seconds(long millis) {
    return String.format("%.1f s", millis / 1000.0);
  }
}
