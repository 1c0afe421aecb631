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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
      assertEquals(CloseOutcome.VM_UNREACHABLE.closeCode(), client.connect(uri(port, "unreachable-1")).awaitClose().code(), child.output());
      assertEquals(CloseOutcome.BAD_TOKEN.closeCode(),
          client.connect(URI.create("ws://127.0.0.1:" + port + "/sessions/x/websockify?token=bad")).awaitClose().code());

      // Four descriptors left: two relayed connections of two sockets each.
      child.send("exhaust 4");
      child.await("EXHAUSTED");
      List<TestClient.Connection> relayed = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        TestClient.Connection c = client.connect(uri(port, "held-" + i));
        c.sendText("hello " + i);
        assertEquals("hello " + i, c.next(), child.output());
        relayed.add(c);
      }
      // The next browser finds accept() failing (the spare descriptor lets it in); the ones after
      // it get the descriptor each refused browser frees; the upstream connect fails for all.
      for (int i = 0; i < 3; i++) {
        TestClient.Closed closed = client.connect(uri(port, "over-" + i)).awaitClose();
        assertEquals(CloseOutcome.PROXY_FULL.closeCode(), closed.code(), "browser " + i + ": " + closed + "\n" + child.output());
        assertTrue(closed.reason().startsWith(CloseOutcome.PROXY_FULL.reason()), closed.reason());
      }

      // Closing the relayed connections frees their sockets, and the proxy relays again.
      for (TestClient.Connection c : relayed) {
        c.session.close(1000, "done", Callback.NOOP);
        c.awaitClose();
      }
      TestClient.Connection again = null;
      for (int attempt = 0; attempt < 50 && again == null; attempt++) {
        TestClient.Connection c = client.connect(uri(port, "again-" + attempt));
        if (echoes(c, "back")) {
          again = c;
        } else {
          TestClient.Closed closed = c.awaitClose();
          assertEquals(CloseOutcome.PROXY_FULL.closeCode(), closed.code(), "after the close: " + closed + "\n" + child.output());
        }
      }
      assertTrue(again != null, "the proxy never relayed again after connections closed\n" + child.output());
      assertFalse(child.output().contains("NoClassDefFoundError"), child.output());
    }
  }

  /** Whether {@code text} comes back; false when the proxy closed the connection instead. */
  private static boolean echoes(TestClient.Connection connection, String text) throws Exception {
    try {
      connection.sendText(text);
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    }
    return text.equals(connection.received.poll(15, TimeUnit.SECONDS));
  }

  private static URI uri(int port, String sessionId) {
    return URI.create("ws://127.0.0.1:" + port + "/sessions/" + sessionId + "/websockify?token=" + TOKENS.mint(sessionId));
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
      process = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
          "-cp", System.getProperty("java.class.path"), DescriptorHog.class.getName(),
          Integer.toString(echoPort), Integer.toString(closedPort), Integer.toString(maxConnections))
          .redirectErrorStream(true)
          .start();
      in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon().name("descriptor-hog-output").start(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
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
