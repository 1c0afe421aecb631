package dev.kindling.worker.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import dev.kindling.worker.cli.KindlingCli;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Worker JVMs for this host, each polling the test's Temporal and logging to a file in the run
 * directory, for tests that kill a worker or need JVM options of its own. {@link #close} kills what
 * is left and keeps the last lines of every log in the test output (the logs vanish with the run
 * directory).
 */
final class WorkerProcesses implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerProcesses.class);

  private final KindlingConfig config;
  private final Path runDir;
  private final List<Process> started = new ArrayList<>();

  WorkerProcesses(KindlingConfig config, Path runDir) {
    this.config = config;
    this.runDir = runDir;
  }

  /**
   * Starts worker {@code name} with {@code jvmOptions} and {@code settings} beside the test's
   * Temporal target and run directory; returns once it polls.
   */
  Process start(String name, List<String> jvmOptions, Map<Setting, String> settings)
      throws IOException, InterruptedException {
    Path logFile = runDir.resolve("worker-" + name + ".log");
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> argv = new ArrayList<>();
    argv.add(java);
    argv.add("--enable-native-access=ALL-UNNAMED");
    argv.add("--sun-misc-unsafe-memory-access=allow");
    argv.addAll(jvmOptions);
    argv.addAll(List.of("-cp", classpath, KindlingCli.class.getName(), "worker"));
    argv.addAll(
        List.of(
            "--set", Setting.TEMPORAL_TARGET.key() + "=" + config.temporalTarget(),
            "--set", Setting.RUN_DIR.key() + "=" + runDir));
    settings.forEach(
        (setting, value) -> argv.addAll(List.of("--set", setting.key() + "=" + value)));
    if (!settings.containsKey(Setting.WORKER_METRICS_PORT)) {
      argv.addAll(List.of("--set", Setting.WORKER_METRICS_PORT.key() + "=0"));
    }
    Process process =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    started.add(process);
    Await.until(
        "worker " + name + " to start",
        Duration.ofMinutes(2),
        () -> {
          String text = Files.readString(logFile);
          if (!text.contains("worker for host") && !process.isAlive()) {
            fail(
                "worker "
                    + name
                    + " exited with "
                    + process.exitValue()
                    + ":\n"
                    + Files.readString(logFile));
          }
          return text;
        },
        text -> text.contains("worker for host"));
    return process;
  }

  boolean anyAlive() {
    return started.stream().anyMatch(Process::isAlive);
  }

  @Override
  public void close() {
    for (Process worker : started) {
      worker.destroyForcibly();
    }
    logTails();
  }

  private void logTails() {
    try (var logs = Files.list(runDir)) {
      for (Path file :
          logs.filter(p -> p.getFileName().toString().startsWith("worker-")).sorted().toList()) {
        List<String> lines =
            Files.readAllLines(file).stream()
                .filter(l -> !l.startsWith("\tat ") && !l.contains("|-INFO"))
                .toList();
        log.info(
            "last lines of {}:\n{}",
            file.getFileName(),
            String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
      }
    } catch (IOException e) {
      log.warn("could not read worker logs: {}", e.toString());
    }
  }
}
