package dev.kindling.host.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs host commands as argv arrays, never through a shell. The one place commands are started, so
 * the one place they are logged and their failures shaped.
 */
public final class Commands {
  private static final Logger log = LoggerFactory.getLogger(Commands.class);
  private static final int TAIL_CHARS = 2000;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private Commands() {}

  /** Runs argv and returns its result whatever the exit code; throws only when it cannot run. */
  public static CommandResult run(List<String> argv, Duration timeout, Map<String, String> env) {
    return run(argv, timeout, env, null);
  }

  /**
   * As {@link #run(List, Duration, Map)}, writing {@code stdin} (when not null) to the command's
   * input.
   */
  public static CommandResult run(
      List<String> argv, Duration timeout, Map<String, String> env, String stdin) {
    log.debug("run {}", argv);
    ProcessBuilder builder = new ProcessBuilder(argv);
    if (stdin == null) {
      builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    if (env != null) {
      builder.environment().putAll(env);
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new CommandFailedException(argv, -1, e.getMessage() == null ? "" : e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    if (stdin != null) {
      try (var input = process.getOutputStream()) {
        input.write(stdin.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        log.debug("{} closed its input early: {}", argv, e.getMessage());
      }
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        throw new CommandFailedException(
            argv,
            -1,
            "timed out after " + timeout.toMillis() + " ms; " + tail(err.getNow("")),
            null);
      }
      return new CommandResult(argv, process.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandFailedException(argv, -1, "interrupted", e);
    }
  }

  public static CommandResult run(List<String> argv) {
    return run(argv, DEFAULT_TIMEOUT, null);
  }

  /** Runs argv and returns stdout; throws {@link CommandFailedException} on a non-zero exit. */
  public static String check(List<String> argv, Duration timeout) {
    CommandResult result = run(argv, timeout, null);
    if (!result.ok()) {
      throw new CommandFailedException(argv, result.exitCode(), tail(result.stderr()), null);
    }
    return result.stdout();
  }

  public static String check(String... argv) {
    return check(List.of(argv), DEFAULT_TIMEOUT);
  }

  /**
   * True when {@code program} is an executable on PATH (or an absolute path that is executable).
   */
  public static boolean available(String program) {
    return locate(program).isPresent();
  }

  /**
   * The executable {@code program} names: itself when it is a path, else the first on PATH (then
   * /usr/sbin, /sbin).
   */
  public static Optional<Path> locate(String program) {
    if (program.contains("/")) {
      return Optional.of(Path.of(program)).filter(Files::isExecutable);
    }
    String path =
        System.getenv()
            .getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return Optional.of(Path.of(dir, program));
      }
    }
    return Optional.empty();
  }

  public static String tail(String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= TAIL_CHARS ? text : "..." + text.substring(text.length() - TAIL_CHARS);
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                result.completeExceptionally(new UncheckedIOException(e));
              }
            });
    return result;
  }
}
