package dev.kindling.worker.cli;

import dev.kindling.proxy.ProxyServer;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.ProxyRuntime;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.workflows.InvalidInputException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "proxy",
    description = "Run the WebSocket proxy for this host's VMs (routes from Temporal).")
final class ProxyCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Override
  public Integer call() throws Exception {
    KindlingConfig config = options.load();
    if (config.get(Setting.TOKEN_KEY).isBlank()) {
      throw new InvalidInputException(
          Setting.TOKEN_KEY.key(),
          "a standalone proxy needs the token key its backends mint with ("
              + Setting.TOKEN_KEY.envName()
              + "; 'kindling dev' generates one per run)");
    }
    try (TemporalConnection temporal = TemporalConnection.open(config);
        ProxyServer proxy =
            ProxyRuntime.start(config, temporal.client(), config.get(Setting.TOKEN_KEY))) {
      System.out.println("proxy listening on " + proxy.baseUri());
      Shutdown.await();
      return 0;
    }
  }
}
