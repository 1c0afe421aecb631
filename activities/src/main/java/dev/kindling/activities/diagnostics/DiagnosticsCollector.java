package dev.kindling.activities.diagnostics;

import dev.kindling.activities.readiness.AgentClient;
import dev.kindling.activities.readiness.AgentHealth;
import dev.kindling.activities.readiness.ProbeTarget;
import dev.kindling.activities.readiness.VmmLiveness;
import dev.kindling.host.exec.CommandFailedException;
import dev.kindling.host.exec.CommandResult;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.host.Diagnostics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers the evidence that names why a VM is not ready without logging into its host: the serial
 * console's tail, links, addresses, routes and neighbours inside the VM's namespace, the agent's
 * unit states when it answers, and how the VMM exited.
 */
public final class DiagnosticsCollector {
  private static final Logger log = LoggerFactory.getLogger(DiagnosticsCollector.class);
  public static final int SERIAL_TAIL_BYTES = 4096;
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration AGENT_CONNECT_TIMEOUT = Duration.ofMillis(200);
  private static final Duration AGENT_READ_TIMEOUT = Duration.ofMillis(500);

  /** Terminal colour and cursor sequences systemd writes to the console. */
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");

  private static final Pattern OTHER_CONTROLS = Pattern.compile("[\\p{Cntrl}&&[^\n\t]]");

  /**
   * Collects everything about {@code target}.
   *
   * @param stage the stage or phase that failed (or that is being described)
   * @param detail what went wrong, in one sentence
   * @param knownHealth the agent's last answer when the caller already has one, else null (asked
   *     now)
   */
  public Diagnostics collect(
      ProbeTarget target,
      String stage,
      String detail,
      VmmLiveness liveness,
      AgentHealth knownHealth) {
    String namespace = target.namespace();
    boolean namespaceExists = NetworkNamespaces.exists(namespace);
    String exitReason = liveness.exitReason().orElse(null);
    Integer exitCode = liveness.exitCode().isPresent() ? liveness.exitCode().getAsInt() : null;
    String fullDetail =
        exitReason == null || detail.contains(exitReason)
            ? detail
            : detail + "; VMM: " + exitReason;
    AgentHealth health =
        knownHealth != null ? knownHealth : (namespaceExists ? askAgent(target) : null);
    return new Diagnostics(
        target.vmId(),
        stage,
        fullDetail,
        serialTail(target.serialLog()),
        namespaceExists ? ip(namespace, "-d", "link", "show") : missing(namespace),
        namespaceExists ? ip(namespace, "addr", "show") : missing(namespace),
        namespaceExists ? ip(namespace, "route", "show") : missing(namespace),
        namespaceExists ? ip(namespace, "neigh", "show") : missing(namespace),
        health == null ? null : health.unitsText(),
        exitCode,
        null,
        null,
        null);
  }

  /**
   * The neighbour entry for {@code address} in {@code neighbours} ({@code ip neigh} output), or
   * null.
   */
  public static String neighbourEntry(String neighbours, String address) {
    if (neighbours == null) {
      return null;
    }
    return neighbours
        .lines()
        .filter(line -> line.startsWith(address + " "))
        .findFirst()
        .orElse(null);
  }

  /** The last {@link #SERIAL_TAIL_BYTES} of a serial log, with terminal escapes removed. */
  public static String serialTail(Path serialLog) {
    if (serialLog == null) {
      return null;
    }
    try (FileChannel file = FileChannel.open(serialLog, StandardOpenOption.READ)) {
      long size = file.size();
      long start = Math.max(0, size - SERIAL_TAIL_BYTES);
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
      while (buffer.hasRemaining() && file.read(buffer, start + buffer.position()) > 0) {
        // Reads until the tail is complete or the file shrank under us.
      }
      String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
      text = OTHER_CONTROLS.matcher(ANSI.matcher(text).replaceAll("")).replaceAll("");
      return start > 0 ? "..." + text : text;
    } catch (NoSuchFileException e) {
      return "(no serial log at " + serialLog + ")";
    } catch (IOException e) {
      return "(cannot read " + serialLog + ": " + e.getMessage() + ")";
    }
  }

  private static AgentHealth askAgent(ProbeTarget target) {
    try {
      return new AgentClient(
              target.namespace(), target.agent(), AGENT_CONNECT_TIMEOUT, AGENT_READ_TIMEOUT)
          .health();
    } catch (IOException | RuntimeException e) {
      log.debug("agent of {} did not answer for diagnostics: {}", target.vmId(), e.toString());
      return null;
    }
  }

  private static String ip(String namespace, String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("ip", "-n", namespace));
    argv.addAll(List.of(args));
    try {
      CommandResult result = Commands.run(argv, COMMAND_TIMEOUT, null);
      return result.ok()
          ? result.stdout().strip()
          : "("
              + String.join(" ", argv)
              + " exited "
              + result.exitCode()
              + ": "
              + Commands.tail(result.stderr()).strip()
              + ")";
    } catch (CommandFailedException e) {
      return "(" + e.getMessage() + ")";
    }
  }

  private static String missing(String namespace) {
    return "(namespace " + namespace + " does not exist)";
  }
}
