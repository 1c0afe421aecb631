package dev.kindling.activities.egress.bench;

import dev.kindling.host.netns.NetworkNamespaces;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ProxyHost} child JVM as the benchmark sees it: started on this JVM's classpath and
 * options, its port once it serves, its answers to commands, its CPU time. Closing it ends the
 * child and deletes its namespace, whatever state the child was left in.
 */
final class ProxyProcess implements AutoCloseable {
  private static final Duration ANSWER = Duration.ofSeconds(120);
  private static final String EOF = "\u0000eof";

  private final Process process;
  private final String namespace;
  private final Writer commands;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private int port;

  private ProxyProcess(Process process, String namespace) {
    this.process = process;
    this.namespace = namespace;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** Starts the child and waits until it serves; throws with the child's reason when it cannot. */
  static ProxyProcess start(String namespace, int maxConnections, List<Integer> ports)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ProxyHost.class.getName());
    command.add(namespace);
    command.add(Integer.toString(maxConnections));
    ports.forEach(p -> command.add(Integer.toString(p)));
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    ProxyProcess child = new ProxyProcess(process, namespace);
    try {
      child.readOutput();
      Map<String, String> ready = child.answer("ready");
      child.port = Integer.parseInt(ready.get("port"));
      return child;
    } catch (IOException | RuntimeException e) {
      child.close();
      throw e;
    }
  }

  /** The child could not serve: it could not create its namespace, for one. */
  static final class Unavailable extends IOException {
    Unavailable(String message) {
      super(message);
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  String namespace() {
    return namespace;
  }

  /** The child's user plus system CPU time so far (clock-tick resolution). */
  Duration cpu() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  /** Full collections in the child, then its heap, RSS, threads and the proxy's counts. */
  Map<String, String> gcAndMeasure() throws IOException {
    send("gc-and-measure");
    return answer("measured");
  }

  /** Garbage collections in the child so far: {count, milliseconds}. */
  long[] collections() throws IOException {
    send("collections");
    Map<String, String> values = answer("collections");
    return new long[] {Long.parseLong(values.get("count")), Long.parseLong(values.get("millis"))};
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        try {
          send("quit");
        } catch (IOException e) {
          // It is ended below either way.
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroy();
          if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      try {
        NetworkNamespaces.delete(namespace);
      } catch (IOException | RuntimeException e) {
        System.err.println("[kindling] EgressBench: deleting namespace " + namespace + ": " + e);
      }
    }
  }

  private void send(String command) throws IOException {
    commands.write(command + "\n");
    commands.flush();
  }

  /** Protocol lines go to the queue; the child's log lines pass on to stderr. */
  private void readOutput() {
    Thread.ofPlatform()
        .daemon()
        .name("proxyhost-output")
        .start(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith(ProxyHost.PREFIX)) {
                    answers.add(line.substring(ProxyHost.PREFIX.length()));
                  } else {
                    System.err.println("[proxyhost] " + line);
                  }
                }
              } catch (IOException e) {
                System.err.println("[kindling] EgressBench: reading the proxy's output: " + e);
              } finally {
                answers.add(EOF);
              }
            });
  }

  /** The next answer, which must be {@code kind}; its key=value pairs. */
  private Map<String, String> answer(String kind) throws IOException {
    String line;
    try {
      line = answers.poll(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for the proxy's " + kind, e);
    }
    if (line == null) {
      throw new IOException("the proxy did not answer " + kind + " within " + ANSWER);
    }
    if (line.equals(EOF)) {
      answers.add(EOF);
      throw new IOException("the proxy's JVM ended before answering " + kind);
    }
    String[] words = line.split(" ", 2);
    Map<String, String> values = new LinkedHashMap<>();
    if (words.length > 1) {
      if (words[0].equals("failed")) {
        throw new Unavailable(words[1].replaceFirst("^reason=", ""));
      }
      for (String pair : words[1].split(" ")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          values.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    if (!words[0].equals(kind)) {
      throw new IOException("expected the proxy's " + kind + ", got: " + line);
    }
    return values;
  }
}
