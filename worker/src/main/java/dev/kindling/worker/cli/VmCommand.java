package dev.kindling.worker.cli;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmSummary;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "vm",
    description = "Create, inspect and release browser VMs.",
    subcommands = {
      VmCommand.Create.class,
      VmCommand.Describe.class,
      VmCommand.Release.class,
      VmCommand.Extend.class,
      VmCommand.ListVms.class
    })
final class VmCommand {

  @Command(
      name = "create",
      description = "Create a browser VM for a session and wait until it is RFB-ready.")
  static final class Create implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(
        names = "--session",
        required = true,
        description = "Session id (letters, digits, _ . -; at most 64).")
    String session;

    @Option(
        names = "--image",
        description = "Image id (default: the host's current image of the template).")
    String image;

    @Option(
        names = "--template",
        description = "Template whose app the session sees (default: the host's template.default).")
    String template;

    @Option(
        names = "--url",
        description =
            "URL the app opens (http or https; the browser template shows it instead of its start page).")
    String url;

    @Option(
        names = "--arg",
        description =
            "An argument appended to the app's command line (repeatable; never run through a shell).")
    List<String> args = new ArrayList<>();

    @Option(
        names = "--egress",
        split = ",",
        description =
            "What the VM may reach through its host's egress proxy: host names, *.suffix entries, each with an optional :port (443 when none); repeatable or comma-separated. Without it the template's default; --no-egress: nothing.")
    List<String> egress;

    @Option(
        names = "--no-egress",
        description = "The VM reaches nothing, whatever its template allows.")
    boolean noEgress;

    @Option(
        names = "--boot",
        defaultValue = "AUTO",
        description = "AUTO, COLD or RESTORE (default ${DEFAULT-VALUE}).")
    BootMode boot;

    @Option(
        names = "--ttl",
        defaultValue = "3600",
        description = "Lease in seconds (default ${DEFAULT-VALUE}).")
    long ttlSeconds;

    @Option(
        names = "--idle",
        defaultValue = "0",
        description = "Idle timeout in seconds; 0 for none.")
    long idleSeconds;

    @Option(names = "--timeout", defaultValue = "300", description = "Seconds to wait for READY.")
    long timeoutSeconds;

    @Option(names = "--json", description = "Print the final description as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      KindlingConfig config = options.load();
      Validation.sessionId(session);
      Validation.positiveSeconds("ttl", ttlSeconds);
      if (image != null) {
        Validation.imageId(image);
      }
      if (idleSeconds < 0) {
        throw new dev.kindling.workflows.InvalidInputException("idle", "must not be negative");
      }
      if (template != null) {
        Validation.templateId(template);
      }
      Launch launch = new Launch(url, args).validated();
      if (noEgress && egress != null) {
        throw new dev.kindling.workflows.InvalidInputException(
            "egress", "--egress and --no-egress exclude each other");
      }
      List<String> allowed = noEgress ? List.of() : egress;
      if (allowed != null) {
        EgressPolicy.parse(allowed);
      }
      try (TemporalConnection temporal = TemporalConnection.open(config)) {
        KindlingClient client = new KindlingClient(temporal.client());
        VmRequest request =
            new VmRequest(
                session,
                image,
                boot,
                ttlSeconds,
                idleSeconds,
                0,
                0,
                template,
                launch.isEmpty() ? null : launch,
                allowed);
        VmDescription last =
            ReadyWait.create(
                client, request, Duration.ofSeconds(timeoutSeconds), json ? null : System.out);
        if (json) {
          Json.print(last);
        }
        if (last.phase() != Phase.READY) {
          throw new TypedFailureException(
              last.failureType() == null ? "NotReady" : last.failureType(),
              last.failureMessage() == null
                  ? "VM ended in phase " + last.phase()
                  : last.failureMessage());
        }
        return 0;
      }
    }
  }

  @Command(
      name = "describe",
      description = "Show a session's VM: phase, timings, host, image, endpoint.")
  static final class Describe implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Session id.")
    String session;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      Validation.sessionId(session);
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        VmDescription d;
        try {
          d = new KindlingClient(temporal.client()).describe(session);
        } catch (WorkflowNotFoundException e) {
          throw new TypedFailureException(
              "UnknownSession", "no browser VM workflow for session " + session);
        }
        if (json) {
          Json.print(d);
        } else {
          ReadyWait.printDescription(d, System.out);
        }
        return 0;
      }
    }
  }

  @Command(name = "release", description = "End a session's lease; the VM is torn down.")
  static final class Release implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Session id.")
    String session;

    @Option(
        names = "--wait",
        description = "Wait until teardown finished and print the final phase.")
    boolean await;

    @Override
    public Integer call() {
      Validation.sessionId(session);
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        KindlingClient client = new KindlingClient(temporal.client());
        client.release(session);
        if (await) {
          VmDescription end = client.awaitEnd(session);
          System.out.println(session + ": " + end.phase());
        } else {
          System.out.println(session + ": release requested");
        }
        return 0;
      }
    }
  }

  @Command(name = "extend", description = "Extend a READY VM's lease.")
  static final class Extend implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Parameters(index = "0", description = "Session id.")
    String session;

    @Option(names = "--seconds", required = true, description = "New lease length from now.")
    long seconds;

    @Override
    public Integer call() {
      Validation.sessionId(session);
      Validation.positiveSeconds("seconds", seconds);
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        long expiry =
            new KindlingClient(temporal.client()).extend(session, Duration.ofSeconds(seconds));
        System.out.println(session + ": lease ends " + java.time.Instant.ofEpochMilli(expiry));
        return 0;
      }
    }
  }

  @Command(name = "list", description = "List running browser VMs.")
  static final class ListVms implements Callable<Integer> {
    @Mixin ConfigOptions options;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
      try (TemporalConnection temporal = TemporalConnection.open(options.load())) {
        List<VmSummary> vms = new KindlingClient(temporal.client()).list();
        if (json) {
          Json.print(vms);
          return 0;
        }
        System.out.printf(
            "%-24s %-10s %-12s %-10s %-14s %s%n",
            "SESSION", "PHASE", "HOST", "TEMPLATE", "IMAGE", "STARTED");
        for (VmSummary vm : vms) {
          System.out.printf(
              "%-24s %-10s %-12s %-10s %-14s %s%n",
              vm.sessionId(),
              vm.phase(),
              vm.hostId(),
              vm.template() == null || vm.template().isEmpty() ? "-" : vm.template(),
              vm.imageId() == null ? "-" : vm.imageId().substring(0, 12),
              vm.startedAt());
        }
        return 0;
      }
    }
  }

  private VmCommand() {}

  static String timings(List<StageTiming> timings) {
    StringBuilder out = new StringBuilder();
    for (StageTiming t : timings) {
      out.append(String.format("  %-22s %6d ms%n", t.stage(), t.millis()));
    }
    return out.toString();
  }
}
