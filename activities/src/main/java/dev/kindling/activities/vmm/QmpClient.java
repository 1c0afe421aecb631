package dev.kindling.activities.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QEMU Machine Protocol client over the VM's unix socket. One command at a time; asynchronous
 * events that arrive in between are logged at debug and skipped. Every wait has a deadline and a
 * timeout names the command that was waited for.
 */
public final class QmpClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QmpClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path socket;
  private final SocketChannel channel;
  private final Selector selector;
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private QmpClient(Path socket, SocketChannel channel, Selector selector) {
    this.socket = socket;
    this.channel = channel;
    this.selector = selector;
  }

  /**
   * Connects to {@code socket}, retrying while QEMU has not created it yet, reads the greeting and
   * negotiates capabilities, all within {@code timeout}.
   */
  public static QmpClient connect(Path socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.configureBlocking(false);
        Selector selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        QmpClient client = new QmpClient(socket, channel, selector);
        try {
          JsonNode greeting = client.readMessage(deadline, "the QMP greeting");
          if (!greeting.has("QMP")) {
            throw new QmpException("expected a QMP greeting on " + socket + ", got " + greeting);
          }
          client.execute("qmp_capabilities", null, remaining(deadline));
          return client;
        } catch (IOException | RuntimeException e) {
          client.close();
          throw e;
        }
      } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
        channel.close();
        last = e;
        sleepQuietly(20);
      }
    }
    throw new QmpTimeoutException(
        "timed out after "
            + timeout.toMillis()
            + " ms connecting to QMP socket "
            + socket
            + (last == null ? "" : " (" + last.getMessage() + ")"));
  }

  /**
   * Runs {@code command} and returns its {@code return} value; a QMP error becomes {@link
   * QmpException}.
   */
  public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ObjectNode request = JSON.createObjectNode().put("execute", command);
    if (arguments != null && !arguments.isEmpty()) {
      request.set("arguments", JSON.valueToTree(arguments));
    }
    byte[] bytes = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
    log.debug("qmp {} -> {}", socket, command);
    ByteBuffer out = ByteBuffer.wrap(bytes);
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        sleepQuietly(1);
      }
      if (System.nanoTime() > deadline) {
        throw new QmpTimeoutException(
            "timed out sending QMP command '" + command + "' to " + socket);
      }
    }
    while (true) {
      JsonNode reply = readMessage(deadline, "the reply to QMP command '" + command + "'");
      if (reply.has("event")) {
        log.debug("qmp {} event {}", socket, reply.path("event").asText());
        continue;
      }
      if (reply.has("error")) {
        throw new QmpException(
            "QMP command '"
                + command
                + "' failed: "
                + reply.path("error").path("class").asText()
                + ": "
                + reply.path("error").path("desc").asText());
      }
      return reply.path("return");
    }
  }

  public JsonNode execute(String command, Duration timeout) throws IOException {
    return execute(command, null, timeout);
  }

  /** The run state, e.g. "running", "paused", "inmigrate", "postmigrate". */
  public String status(Duration timeout) throws IOException {
    return execute("query-status", timeout).path("status").asText();
  }

  public void stop(Duration timeout) throws IOException {
    execute("stop", timeout);
  }

  public void cont(Duration timeout) throws IOException {
    execute("cont", timeout);
  }

  public void quit(Duration timeout) throws IOException {
    execute("quit", timeout);
  }

  /**
   * Starts migrating to {@code uri} (QEMU 7.2 has no {@code file:} transport, so files are written
   * with {@code exec:cat > file}); poll {@link #migrationStatus} for the outcome.
   */
  public void migrate(String uri, Duration timeout) throws IOException {
    execute("migrate", Map.of("uri", uri), timeout);
  }

  /**
   * The {@code query-migrate} reply: status ("active", "completed", "failed", ...) and statistics.
   */
  public JsonNode migrationStatus(Duration timeout) throws IOException {
    return execute("query-migrate", timeout);
  }

  public void setMigrationCapability(String capability, boolean state, Duration timeout)
      throws IOException {
    execute(
        "migrate-set-capabilities",
        Map.of("capabilities", java.util.List.of(Map.of("capability", capability, "state", state))),
        timeout);
  }

  /**
   * Starts loading an incoming migration from {@code uri} on a QEMU started with {@code -incoming
   * defer}.
   */
  public void migrateIncoming(String uri, Duration timeout) throws IOException {
    execute("migrate-incoming", Map.of("uri", uri), timeout);
  }

  public void setMigrationParameters(Map<String, ?> parameters, Duration timeout)
      throws IOException {
    execute("migrate-set-parameters", parameters, timeout);
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // Closing a selector that failed leaves nothing to clean up.
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // Same for the channel.
    }
  }

  private JsonNode readMessage(long deadline, String waitingFor) throws IOException {
    while (true) {
      JsonNode message = nextBufferedLine();
      if (message != null) {
        return message;
      }
      long waitMillis = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
      if (waitMillis == 0) {
        throw new QmpTimeoutException("timed out waiting for " + waitingFor + " on " + socket);
      }
      selector.select(waitMillis);
      selector.selectedKeys().clear();
      int read = channel.read(readBuffer);
      if (read < 0) {
        throw new QmpException("QMP socket " + socket + " closed while waiting for " + waitingFor);
      }
    }
  }

  private JsonNode nextBufferedLine() throws IOException {
    readBuffer.flip();
    try {
      while (readBuffer.hasRemaining()) {
        byte b = readBuffer.get();
        if (b == '\n') {
          String text = line.toString(StandardCharsets.UTF_8).strip();
          line.reset();
          if (!text.isEmpty()) {
            return JSON.readTree(text);
          }
        } else {
          line.write(b);
        }
      }
      return null;
    } finally {
      readBuffer.compact();
    }
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** QEMU answered with an error, or the conversation broke. */
  public static class QmpException extends IOException {
    public QmpException(String message) {
      super(message);
    }
  }

  /** Nothing arrived in time; the message names what was waited for. */
  public static final class QmpTimeoutException extends QmpException {
    public QmpTimeoutException(String message) {
      super(message);
    }
  }
}
