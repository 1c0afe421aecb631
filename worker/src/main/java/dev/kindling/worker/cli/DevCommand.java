package dev.kindling.worker.cli;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.dev.DevStack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "dev", description = "Run the embedded default: Temporal test server on a port, worker and proxy. Ctrl-C stops everything.")
final class DevCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Override
  public Integer call() throws Exception {
    KindlingConfig config = options.load();
    try (DevStack stack = DevStack.start(config)) {
      System.out.println("Temporal   " + stack.temporalTarget() + " (namespace " + stack.config().temporalNamespace() + ")");
      System.out.println("worker     host " + stack.config().hostId());
      System.out.println("proxy      " + stack.proxy().baseUri());
      System.out.println("token key  export KINDLING_PROXY_TOKEN_KEY=" + stack.tokenKey());
      System.out.println("try        bin/kindling image build && bin/kindling vm create --session alice");
      Shutdown.await();
      return 0;
    }
  }
}
