package dev.kindling.worker.cli;

import dev.kindling.activities.network.HostPreflight;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.worker.runtime.ProxiedDesktop;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.image.GoldenImageResult;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import dev.kindling.workflows.image.ImageBuildRequest;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job, end to end on the embedded default: golden image (built or cached, canary-verified,
 * snapshotted, promoted), a browser VM for one session, its desktop through the proxy with a
 * session token, release, and a check that nothing was left behind.
 */
@Command(
    name = "demo",
    description =
        "Run the whole job once on the embedded default and prove it: image, VM, desktop through the proxy, release, no leaks.")
final class DemoCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Option(names = "--session", description = "Session id (default: demo-<random>).")
  String session;

  @Option(
      names = "--template",
      description = "Template whose app the session sees (default: the host's template.default).")
  String template;

  @Option(
      names = "--no-snapshot",
      description = "Cold-boot the VM instead of restoring the image's memory snapshot.")
  boolean noSnapshot;

  @Option(
      names = "--screenshot",
      defaultValue = "${sys:java.io.tmpdir}/kindling-demo-desktop.png",
      description = "Where to write the desktop as PNG (default ${DEFAULT-VALUE}).")
  Path screenshot;

  @Override
  public Integer call() throws Exception {
    KindlingConfig config = options.load().with(Setting.PROXY_PORT, "0");
    if ("default".equals(config.source(Setting.TEMPORAL_TARGET))) {
      // Its own Temporal on free ports, so a `kindling dev` already running on this host is not
      // disturbed.
      config = config.with(Setting.TEMPORAL_TARGET, "localhost:0");
    }
    if ("default".equals(config.source(Setting.WORKER_METRICS_PORT))) {
      config = config.with(Setting.WORKER_METRICS_PORT, "0");
    }
    String sessionId =
        session != null ? session : "demo-" + UUID.randomUUID().toString().substring(0, 8);
    dev.kindling.workflows.Validation.sessionId(sessionId);
    String templateId =
        dev.kindling.workflows.Validation.templateId(
            template == null ? config.defaultTemplate() : template);
    step("preflight");
    new HostPreflight(config.paths(), HostServices.vmmPrograms(config)).require();

    try (DevStack stack = DevStack.start(config)) {
      DevCommand.printStack(stack);
      KindlingClient client = new KindlingClient(stack.connection().client());

      step(
          "golden image of template "
              + templateId
              + ": build or reuse, canary boot showing the app, "
              + (noSnapshot ? "" : "snapshot, ")
              + "promote");
      GoldenImageWorkflow golden =
          stack
              .connection()
              .client()
              .newWorkflowStub(
                  GoldenImageWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId(
                          GoldenImageWorkflow.workflowId(stack.config().hostId(), templateId))
                      .setTaskQueue(TaskQueues.SHARED)
                      .build());
      GoldenImageResult image =
          golden.run(
              new ImageBuildRequest(stack.config().hostId(), !noSnapshot, false, templateId));
      printTimings(image.timings());
      System.out.println(
          "  image "
              + image.image().imageId()
              + (image.image().hasSnapshot()
                  ? " with snapshot " + image.image().snapshotId().substring(0, 12)
                  : ""));

      step("browser VM for session " + sessionId);
      VmDescription ready =
          ReadyWait.create(
              client,
              new VmRequest(
                  sessionId,
                  null,
                  noSnapshot ? BootMode.COLD : BootMode.AUTO,
                  600,
                  0,
                  0,
                  0,
                  templateId,
                  null,
                  null),
              Duration.ofMinutes(5),
              System.out);
      if (ready == null || ready.phase() != Phase.READY) {
        throw new TypedFailureException(
            ready == null || ready.failureType() == null ? "NotReady" : ready.failureType(),
            ready == null
                ? "no description"
                : ready.failureMessage() != null
                    ? ready.failureMessage()
                    : "the VM ended in phase " + ready.phase());
      }

      step(
          "desktop through the proxy (token-authenticated WebSocket; the proxy authenticates to the VM, the client gets RFB security None; one framebuffer)");
      String token = stack.proxy().tokens().mint(sessionId);
      ProxiedDesktop desktop =
          ProxiedDesktop.capture(
              new InetSocketAddress("127.0.0.1", stack.proxy().port()),
              stack.proxy().config().websocketPath(sessionId),
              token,
              Duration.ofSeconds(30));
      desktop.frame().writePng(screenshot);
      System.out.printf(
          "  %dx%d \"%s\", %s; written to %s%n",
          desktop.serverInit().width(),
          desktop.serverInit().height(),
          desktop.serverInit().name(),
          desktop.frame().summary(),
          screenshot.toAbsolutePath());
      System.out.println(
          "  a browser would open "
              + stack.proxy().baseUri().resolve(stack.proxy().config().pagePath(sessionId))
              + "?token="
              + token);

      step("release and teardown");
      client.release(sessionId);
      VmDescription end = client.awaitEnd(sessionId);
      System.out.println("  " + sessionId + ": " + end.phase());

      step("leak check");
      LeakCheck leaks = LeakCheck.forVm(stack.host().paths(), ready.vmId());
      System.out.println("  " + leaks.summary());
      if (!leaks.clean()) {
        throw new TypedFailureException("Leak", leaks.summary());
      }
      System.out.println();
      System.out.println(
          "demo passed: session "
              + sessionId
              + " was provisioned, served its desktop through the proxy, and left nothing behind.");
      return 0;
    }
  }

  private static void step(String what) {
    System.out.println("==> " + what);
  }

  private static void printTimings(java.util.List<StageTiming> timings) {
    if (timings != null) {
      System.out.print(VmCommand.timings(timings));
    }
  }
}
