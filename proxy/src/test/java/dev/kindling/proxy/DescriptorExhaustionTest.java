package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.websocket.api.Callback;
import org.junit.jupiter.api.Test;

/**
 * A proxy process that runs out of file descriptors still answers every browser: those it cannot
 * relay get the close table's PROXY_FULL, never a hang or a bare 1006, and it relays again once
 * descriptors are free. The proxy runs in a child JVM ({@link DescriptorHog}) that exhausts its own
 * descriptors, with a connection limit far above what they allow, so the kernel refuses first.
 */
class DescriptorExhaustionTest {
  private static final SessionTokens TOKENS = new SessionTokens(ProxyFixture.KEY);

  @Test
  void browsersBeyondTheLastDescriptorAreToldTheProxyIsFull() throws Exception {
    try (EchoUpstream upstream = EchoUpstream.onLoopback();
        TestClient client = new TestClient();
        Child child = new Child(upstream.port(), closedPort(), 100_000)) {
      int port = Integer.parseInt(child.await("PORT"));
      // Warm-up: every code path below runs once while the child can still load classes.
      TestClient.Connection warm = client.connect(uri(port, "warm-up"));
      warm.sendText("warm");
      assertEquals("warm", warm.next());
      warm.session.close(1000, "done", Callback.NOOP);
      assertEquals(
          CloseOutcome.VM_UNREACHABLE.closeCode(),
          client.connect(uri(port, "unreachable-1")).awaitClose().code(),
          child.output());
      assertEquals(
          CloseOutcome.BAD_TOKEN.closeCode(),
          client
              .connect(URI.create("ws://127.0.0.1:" + port + "/sessions/x/websockify?token=bad"))
              .awaitClose()
              .code());

      // Four descriptors left: two relayed connections of two sockets each.
      child.send("exhaust 4");
      child.await("EXHAUSTED");
      List<TestClient.Connection> relayed = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        TestClient.Connection c = connect(client, uri(port, "held-" + i), child);
        c.sendText("hello " + i);
        assertEquals("hello " + i, c.next(), child.output());
        relayed.add(c);
      }
      // Take whatever the process freed meanwhile (JVM threads hold files for moments), so that the
      // browsers past the limit find accept() or their upstream connect failing and are told so;
      // the spare descriptor lets them in when accept() fails, and each refused browser frees the
      // descriptor the next one is accepted with. A descriptor the process frees later still lets
      // a browser through: that one must be relayed, never left hanging.
      child.send("exhaust 0");
      child.await("EXHAUSTED");
      int refused = 0;
      for (int i = 0; i < 10 && refused < 3; i++) {
        TestClient.Connection c = connect(client, uri(port, "over-" + i), child);
        Optional<TestClient.Closed> closed = relayedOrClosed(c, "over " + i, child);
        if (closed.isEmpty()) {
          relayed.add(c);
          continue;
        }
        assertEquals(
            CloseOutcome.PROXY_FULL.closeCode(),
            closed.get().code(),
            "browser " + i + ": " + closed.get() + "\n" + child.output());
        assertTrue(
            closed.get().reason().startsWith(CloseOutcome.PROXY_FULL.reason()),
            closed.get().reason());
        refused++;
      }
      assertEquals(3, refused, "browsers refused out of ten\n" + child.output());

      // Closing the relayed connections frees their sockets, and the proxy relays again.
      for (TestClient.Connection c : relayed) {
        c.session.close(1000, "done", Callback.NOOP);
        c.awaitClose();
      }
      TestClient.Connection again = null;
      for (int attempt = 0; attempt < 50 && again == null; attempt++) {
        TestClient.Connection c = connect(client, uri(port, "again-" + attempt), child);
        Optional<TestClient.Closed> closed = relayedOrClosed(c, "back", child);
        if (closed.isEmpty()) {
          again = c;
        } else {
          assertEquals(
              CloseOutcome.PROXY_FULL.closeCode(),
              closed.get().code(),
              "after the close: " + closed.get() + "\n" + child.output());
        }
      }
      assertTrue(
          again != null,
          "the proxy never relayed again after connections closed\n" + child.output());
      assertFalse(child.output().contains("NoClassDefFoundError"), child.output());
    }
  }

  /** Connects, or fails with what the proxy printed: an upgrade never answered is a hang too. */
  private static TestClient.Connection connect(TestClient client, URI uri, Child child)
      throws Exception {
    try {
      return client.connect(uri);
    } catch (TimeoutException e) {
      child.send("diagnose");
      try {
        child.await("DIAGNOSED");
      } catch (AssertionError undiagnosed) {
        // The output below shows how far the child got.
      }
      throw new AssertionError(
          "the proxy did not answer the upgrade of "
              + uri.getPath()
              + " within 15 s\n"
              + child.output(),
          e);
    }
  }

  /**
   * Empty when {@code text} comes back through the relay, else the close the proxy sent instead; a
   * connection that does neither is the hang this test exists to rule out.
   */
  private static Optional<TestClient.Closed> relayedOrClosed(
      TestClient.Connection connection, String text, Child child) throws Exception {
    try {
      connection.sendText(text);
    } catch (ExecutionException e) {
      // Closed before the text went out: the close says why.
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      Object received = connection.received.poll(50, TimeUnit.MILLISECONDS);
      if (text.equals(received)) {
        return Optional.empty();
      }
      if (received == null && connection.closed.isDone()) {
        return Optional.of(connection.closed.get());
      }
    }
    throw new AssertionError(
        "a browser was neither relayed nor told why within 15 s\n" + child.output());
  }

  private static URI uri(int port, String sessionId) {
    return URI.create(
        "ws://127.0.0.1:"
            + port
            + "/sessions/"
            + sessionId
            + "/websockify?token="
            + TOKENS.mint(sessionId));
  }

  private static int closedPort() throws IOException {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The {@link DescriptorHog} process; its output is kept for failure messages. */
  private static final class Child implements AutoCloseable {
    private final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer output = new StringBuffer();

    Child(int echoPort, int closedPort, int maxConnections) throws IOException {
      String java = ProcessHandle.current().info().command().orElse("java");
      process =
          new ProcessBuilder(
                  java,
                  "--enable-native-access=ALL-UNNAMED",
                  "-Xmx256m",
                  "-cp",
                  System.getProperty("java.class.path"),
                  DescriptorHog.class.getName(),
                  Integer.toString(echoPort),
                  Integer.toString(closedPort),
                  Integer.toString(maxConnections))
              .redirectErrorStream(true)
              .start();
      in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
      Thread.ofPlatform()
          .daemon()
          .name("descriptor-hog-output")
          .start(
              () -> {
                try (BufferedReader out =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = out.readLine()) != null) {
                    output.append(line).append('\n');
                    lines.add(line);
                  }
                } catch (IOException e) {
                  // The child ended.
                }
              });
    }

    void send(String command) {
      in.println(command);
    }

    /** The rest of the first line starting with {@code key}. */
    String await(String key) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        String line = lines.poll(1, TimeUnit.SECONDS);
        if (line != null && line.startsWith(key + " ")) {
          return line.substring(key.length() + 1).trim();
        }
        if (line == null && !process.isAlive()) {
          break;
        }
      }
      throw new AssertionError("the proxy process did not report " + key + "\n" + output);
    }

    String output() {
      return output.toString();
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
}
