package dev.kindling.proxy.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A part of the benchmark in its own JVM: the proxy, so its heap and memory are measured apart from
 * the load side, or the echo backend, so that each process stays within the host's limit on open
 * files. It prints "BENCH key value" lines and answers commands on stdin ("heap", "quit").
 */
final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final PrintWriter in;

  ChildJvm(String... args) throws IOException {
    this(ProxyBenchmark.class, args);
  }

  /** A JVM running {@code mainClass} from this class path. */
  ChildJvm(Class<?> mainClass, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java,
                "-Xmx3g",
                "-XX:+UseG1GC",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path")));
    // Extra options for every child JVM, e.g. a flight recording:
    // -Dbench.childOpts="-XX:StartFlightRecording=..."
    String extra =
        System.getProperty("bench.childOpts", "")
            .replace("{role}", args.length > 0 ? args[0].replace("--serve-", "") : "child");
    if (!extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  long pid() {
    return process.pid();
  }

  /** Heap in use after full collections. */
  long heapAfterGc() throws IOException {
    in.println("heap");
    return Long.parseLong(await("heap"));
  }

  /** Sends {@code command} and returns the number the child reports under the same key. */
  long ask(String command) throws IOException {
    in.println(command);
    return Long.parseLong(await(command));
  }

  /** Open file descriptors of the process. */
  long openFiles() {
    String[] fds = new java.io.File("/proc/" + process.pid() + "/fd").list();
    return fds == null ? -1 : fds.length;
  }

  int port(String key) throws IOException {
    return Integer.parseInt(await(key));
  }

  private String await(String key) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("BENCH " + key + " ")) {
        return line.substring(("BENCH " + key + " ").length()).trim();
      }
    }
    throw new IOException("the proxy process ended before reporting " + key);
  }

  /** Proportional set size of a process and its descendants, in bytes. */
  static long pss(ProcessHandle root) {
    return Stream.concat(Stream.of(root), root.descendants()).mapToLong(ChildJvm::pssOf).sum();
  }

  private static long pssOf(ProcessHandle handle) {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc", Long.toString(handle.pid()), "smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      // The process ended while being measured.
    }
    return 0;
  }

  @Override
  public void close() throws Exception {
    in.println("quit");
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
