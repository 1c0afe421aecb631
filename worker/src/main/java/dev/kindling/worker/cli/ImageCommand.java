package dev.kindling.worker.cli;

import dev.kindling.activities.image.GoldenImagePipeline;
import dev.kindling.activities.image.ImageVerifier;
import dev.kindling.activities.image.PipelineResult;
import dev.kindling.activities.image.VerifyFailure;
import dev.kindling.activities.image.VerifyResult;
import dev.kindling.activities.image.VerifySettings;
import dev.kindling.host.FileTrees;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.StoredImage;
import dev.kindling.host.images.UnknownImageException;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.ImageBuildException;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.InvalidTemplateException;
import dev.kindling.snapshot.Template;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "image",
    mixinStandardHelpOptions = true,
    description = "Build, verify and list golden images.",
    subcommands = {
      ImageCommand.Build.class,
      ImageCommand.Verify.class,
      ImageCommand.ListImages.class
    })
final class ImageCommand {
  /** Lines of the guest's serial console printed with a failure. */
  private static final int SERIAL_LINES = 40;

  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description =
          "Build a template's golden image (or find it cached), boot a canary"
              + " that must show the app, snapshot it, promote it as the template's current image.")
  static final class Build implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(
        names = "--template",
        paramLabel = "ID|DIR",
        description =
            "A template id (built-in: terminal, browser; or a directory"
                + " name under templates.dir) or a template directory. Default: template.default.")
    String template;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(
        names = "--no-snapshot",
        description = "Do not take a memory snapshot of the ready canary.")
    boolean noSnapshot;

    @Option(
        names = "--no-promote",
        description = "Do not make the image current, even when its canary passed.")
    boolean noPromote;

    @Option(
        names = "--mask-unit",
        description =
            "Additionally mask this systemd unit in the image (changes the image id; repeatable).")
    List<String> maskUnits = new ArrayList<>();

    @Override
    public Integer call() {
      for (String unit : maskUnits) {
        if (!unit.matches("[A-Za-z0-9@_.:-]+\\.(service|socket|timer|path|target|mount)")) {
          throw new InvalidInputException("mask-unit", "'" + unit + "' is not a systemd unit name");
        }
      }
      KindlingConfig config = options.load();
      Template recipe;
      try {
        recipe =
            Templates.resolve(
                template == null ? config.defaultTemplate() : template, config.templatesDir());
      } catch (InvalidTemplateException e) {
        throw new TypedFailureException(e.kind().type(), e.getMessage());
      }
      HostServices host = HostServices.create(config);
      BuildOptions build =
          BuildOptions.forTemplate(recipe, host.paths(), config.get(Setting.DEBIAN_MIRROR))
              .withExtraMaskedUnits(maskUnits);
      GoldenImagePipeline pipeline =
          new GoldenImagePipeline(
              new ImageBuilder(),
              new ImageStore(host.paths()),
              verifier(host, config),
              host.vmms());
      PipelineResult result;
      try {
        result = pipeline.run(build, !noSnapshot, !noPromote);
      } catch (ImageBuildException e) {
        throw new TypedFailureException(e.kind().type(), e.getMessage());
      } catch (InvalidTemplateException e) {
        throw new TypedFailureException(e.kind().type(), e.getMessage());
      }
      if (json) {
        Json.print(result);
      } else {
        PrintStream out = System.out;
        out.printf(
            "template %s: image %s %s in %d ms%n",
            recipe.id(),
            result.imageId(),
            result.cacheHit() ? "cached" : "built",
            result.buildMillis());
        printVerification(result.canary(), out);
        if (result.snapshotId() != null) {
          out.printf("snapshot %s in %d ms%n", result.snapshotId(), result.snapshotMillis());
        }
        out.println(result.promoted() != null ? "promoted to current" : "not promoted");
      }
      if (!result.passed()) {
        VerifyFailure failure = result.failure();
        String type =
            result.canary().failure() != null ? FailureKind.CANARY_FAILED.type() : failure.type();
        throw new TypedFailureException(
            type,
            failure.type()
                + " at "
                + failure.stage()
                + ": "
                + failure.message()
                + "; image "
                + result.imageId()
                + " was not promoted");
      }
      return 0;
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Boot an image as a real VM in its own network namespace, check readiness"
              + " stage by stage up to a complete RFB handshake, print each stage's timing, and remove everything it made.")
  static final class Verify implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Image id (64 hex digits; see 'kindling image list').")
    String imageId;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Option(
        names = "--kernel-args",
        description =
            "Extra guest kernel arguments for this boot, e.g. systemd.show_status=true"
                + " to see unit status on the serial console. (To verify an image without a unit, build one with 'image build --mask-unit'.)")
    String kernelArgs;

    @Override
    public Integer call() {
      Validation.imageId(imageId);
      if (kernelArgs != null && kernelArgs.chars().anyMatch(Character::isISOControl)) {
        throw new InvalidInputException("kernel-args", "must not contain control characters");
      }
      KindlingConfig config = options.load();
      String configured = config.get(Setting.KERNEL_ARGS);
      String extra = (configured + " " + (kernelArgs == null ? "" : kernelArgs)).strip();
      HostServices host = HostServices.create(config, extra);
      VerifyResult result;
      try {
        result = verifier(host, config).verify(imageId);
      } catch (UnknownImageException e) {
        throw new TypedFailureException(e.kind().type(), e.getMessage());
      }
      if (json) {
        Json.print(result);
      } else {
        printVerification(result, System.out);
      }
      if (!result.passed()) {
        VerifyFailure failure = result.failure();
        throw new TypedFailureException(
            failure.type(), "at " + failure.stage() + ": " + failure.message());
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List the images in the cache by template; '*' marks each template's current one.")
  static final class ListImages implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      ImageStore store = new ImageStore(options.load().paths());
      Map<String, ImageRef> currents = store.currents();
      List<StoredImage> images = store.list();
      List<Map<String, Object>> rows = new ArrayList<>();
      for (StoredImage image : images) {
        Manifest manifest = image.manifest();
        ImageRef current = manifest.template() == null ? null : currents.get(manifest.template());
        boolean isCurrent = current != null && current.imageId().equals(image.ref().imageId());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("template", manifest.template());
        row.put("imageId", image.ref().imageId());
        row.put("current", isCurrent);
        row.put("snapshotId", isCurrent ? current.snapshotId() : null);
        row.put("kernelVersion", manifest.kernelVersion());
        row.put("builtAt", Instant.ofEpochSecond(manifest.builtAtEpochSeconds()).toString());
        row.put("usedBytes", manifest.usedBytes());
        row.put("rootfsBytes", manifest.rootfsBytes());
        row.put(
            "snapshotBytes",
            isCurrent && current.hasSnapshot()
                ? FileTrees.size(image.dir().resolve("snapshots").resolve(current.snapshotId()))
                : 0L);
        row.put("dir", image.dir().toString());
        rows.add(row);
      }
      rows.sort(
          java.util.Comparator.comparing(
                  (Map<String, Object> r) -> String.valueOf(r.get("template")))
              .thenComparing(r -> !(Boolean) r.get("current")));
      if (json) {
        Json.print(rows);
        return 0;
      }
      System.out.printf(
          "  %-10s  %-16s  %-20s  %8s  %8s  %-12s  %8s%n",
          "TEMPLATE", "IMAGE", "BUILT", "USED MiB", "FILE MiB", "SNAPSHOT", "SNAP MiB");
      for (Map<String, Object> row : rows) {
        String snapshot =
            row.get("snapshotId") == null ? "-" : ((String) row.get("snapshotId")).substring(0, 12);
        System.out.printf(
            "%s %-10s  %-16s  %-20s  %8d  %8d  %-12s  %8d%n",
            (Boolean) row.get("current") ? "*" : " ",
            row.get("template") == null ? "-" : row.get("template"),
            ((String) row.get("imageId")).substring(0, 16),
            row.get("builtAt"),
            (Long) row.get("usedBytes") >> 20,
            (Long) row.get("rootfsBytes") >> 20,
            snapshot,
            (Long) row.get("snapshotBytes") >> 20);
      }
      return 0;
    }
  }

  private ImageCommand() {}

  static ImageVerifier verifier(HostServices host, KindlingConfig config) {
    VerifySettings settings =
        VerifySettings.defaults()
            .withReadinessTimeout(
                Duration.ofSeconds(config.intValue(Setting.READINESS_TIMEOUT_SECONDS)));
    return new ImageVerifier(
        host.paths(),
        new ImageStore(host.paths()),
        host.network(),
        host.vmms(),
        host.readiness(),
        settings);
  }

  static void printVerification(VerifyResult result, PrintStream out) {
    out.printf(
        "verify %s in %s: %s/%s, machine %s, %s boot%n",
        result.imageId(),
        result.vmId(),
        result.vmm(),
        result.accelerator(),
        result.machine(),
        result.bootMode().name().toLowerCase(java.util.Locale.ROOT));
    out.printf("  %-22s %6d ms%n", "network", result.networkMillis());
    out.printf(
        "  %-22s %6d ms  (VMM start %d ms)%n",
        "boot", result.bootVmMillis(), result.vmmStartMillis());
    out.print(VmCommand.timings(result.readinessStages()));
    out.printf("  %-22s %6d ms%n", "teardown", result.teardownMillis());
    if (result.passed()) {
      out.printf(
          "READY: boot -> RFB ServerInit in %d ms, framebuffer %dx%d '%s'%n",
          result.bootToReadyMillis(),
          result.framebufferWidth(),
          result.framebufferHeight(),
          result.desktopName());
    } else {
      VerifyFailure failure = result.failure();
      out.printf(
          "FAILED: %s at stage %s%n  %s%n", failure.type(), failure.stage(), failure.message());
      Diagnostics evidence = failure.diagnostics();
      if (evidence != null && evidence.app() != null) {
        out.printf("app: %s%n", evidence.app());
      }
      if (evidence != null && evidence.appLogTail() != null && !evidence.appLogTail().isBlank()) {
        List<String> lines = evidence.appLogTail().lines().toList();
        out.printf("app log (last %d lines):%n", Math.min(SERIAL_LINES, lines.size()));
        lines
            .subList(Math.max(0, lines.size() - SERIAL_LINES), lines.size())
            .forEach(l -> out.println("  | " + l));
      }
      if (evidence != null && evidence.thumbnail() != null) {
        out.printf("the desktop as readiness last saw it: %s%n", evidence.thumbnail());
      }
      String tail = failure.serialTail();
      if (!tail.isBlank()) {
        List<String> lines = tail.lines().toList();
        out.printf("serial console (last %d lines):%n", Math.min(SERIAL_LINES, lines.size()));
        lines
            .subList(Math.max(0, lines.size() - SERIAL_LINES), lines.size())
            .forEach(l -> out.println("  | " + l));
      }
    }
    for (String problem : result.teardownProblems()) {
      out.println("TEARDOWN PROBLEM: " + problem);
    }
  }
}
