package dev.kindling.worker.cli;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "dev",
    description =
        "Run the embedded default: a real Temporal (the Temporal CLI's dev server with its web UI, unless one answers on"
            + " temporal.target), the worker and the proxy. Ctrl-C stops everything; workflows survive in the server's state file.")
final class DevCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Option(
      names = "--ephemeral",
      description = "Keep Temporal's state in memory: every workflow is gone when the stack stops.")
  boolean ephemeral;

  @Override
  public Integer call() throws Exception {
    KindlingConfig config = options.load();
    if (ephemeral) {
      config = config.with(Setting.TEMPORAL_EPHEMERAL, "true");
    }
    if (config.get(Setting.POOL_TARGETS).isBlank()) {
      // A session of the default template starts from a ready VM; pool.targets says otherwise.
      config = config.with(Setting.POOL_TARGETS, config.defaultTemplate() + "=1");
    }
    try (DevStack stack = DevStack.start(config)) {
      printStack(stack);
      System.out.println(
          "try        bin/kindling image build && bin/kindling vm create --session alice");
      Optional<String> lost = Shutdown.await(stack.serverLost());
      if (lost.isPresent()) {
        System.err.println("kindling dev: " + lost.get());
        return 1;
      }
      return 0;
    }
  }

  static void printStack(DevStack stack) {
    System.out.println(
        "Temporal   "
            + stack.temporalTarget()
            + " (namespace "
            + stack.config().temporalNamespace()
            + ", "
            + stack
                .devServer()
                .map(
                    server ->
                        server
                            .database()
                            .map(file -> "dev server, state in " + file)
                            .orElse("dev server, state in memory"))
                .orElse("a server that was already running")
            + ")");
    stack
        .temporalUi()
        .ifPresent(
            ui ->
                System.out.println(
                    "web UI     "
                        + ui
                        + "/namespaces/"
                        + stack.config().temporalNamespace()
                        + "/workflows"));
    System.out.println("worker     host " + stack.config().hostId());
    stack.worker().metricsUri().ifPresent(uri -> System.out.println("metrics    " + uri));
    System.out.println("proxy      " + stack.proxy().baseUri());
    System.out.println("token key  export KINDLING_PROXY_TOKEN_KEY=" + stack.tokenKey());
  }
}
