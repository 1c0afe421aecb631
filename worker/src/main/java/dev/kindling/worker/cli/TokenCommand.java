package dev.kindling.worker.cli;

import dev.kindling.proxy.Scope;
import dev.kindling.proxy.SessionTokens;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "token",
    description = "Mint a short-lived proxy token bound to one session and a scope.")
final class TokenCommand implements Callable<Integer> {
  @Mixin ConfigOptions options;

  @Option(names = "--session", required = true, description = "Session id.")
  String session;

  @Option(
      names = "--ttl",
      defaultValue = "300",
      description = "Seconds the token is valid (default ${DEFAULT-VALUE}).")
  long ttlSeconds;

  @Option(
      names = "--scope",
      defaultValue = "control",
      description =
          "control (keys, pointer and clipboard reach the VM) or view (only the screen);"
              + " default ${DEFAULT-VALUE}.")
  String scope;

  @Override
  public Integer call() {
    KindlingConfig config = options.load();
    Validation.sessionId(session);
    Validation.positiveSeconds("ttl", ttlSeconds);
    Scope wanted =
        Scope.fromWire(scope)
            .orElseThrow(
                () -> new InvalidInputException("scope", "'" + scope + "' is not control or view"));
    String key = config.get(Setting.TOKEN_KEY);
    if (key.isBlank()) {
      throw new InvalidInputException(
          Setting.TOKEN_KEY.key(),
          "no token key configured ("
              + Setting.TOKEN_KEY.envName()
              + "); the proxy must use the same key");
    }
    System.out.println(
        SessionTokens.fromBase64Key(key).mint(session, Duration.ofSeconds(ttlSeconds), wanted));
    return 0;
  }
}
