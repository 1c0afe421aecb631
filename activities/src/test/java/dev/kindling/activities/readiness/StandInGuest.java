package dev.kindling.activities.readiness;

import dev.kindling.host.exec.Commands;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.testing.TestNamespace;
import dev.kindling.workflows.host.GuestNetwork;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in guest inside a throwaway namespace: the guest address on the namespace's loopback (or
 * behind a TAP with nothing attached), and whichever guest services a test starts. Closing it stops
 * every service and process, then deletes the namespace.
 */
final class StandInGuest implements AutoCloseable {
  static final String PASSWORD = "Kx7pQ2mZ";
  private final TestNamespace namespace;
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  /** The password the fake x11vnc demands; null until the agent receives one. */
  final AtomicReference<String> vncPassword = new AtomicReference<>();

  /** The session app the fake agent reports, and the secrets it was sent. */
  final FakeAgent.App app = new FakeAgent.App();

  /** What the fake x11vnc's desktop shows; a test may change it while a probe runs. */
  final AtomicReference<FakeRfbServer.Screen> screen =
      new AtomicReference<>(FakeRfbServer.Screen.CONTENT);

  /** The pixel formats clients of the fake x11vnc asked for, in order. */
  final List<PixelFormat> vncFormats = new java.util.concurrent.CopyOnWriteArrayList<>();

  final Path serialLog;

  private FakeRfbServer vncServer;

  private StandInGuest(TestNamespace namespace, Path serialLog) {
    this.namespace = namespace;
    this.serialLog = serialLog;
  }

  /** The guest address answers locally inside the namespace. */
  static StandInGuest withGuestAddress() throws IOException {
    StandInGuest fixture =
        new StandInGuest(TestNamespace.create(), Files.createTempFile("kindling-serial", ".log"));
    fixture.setUp(
        () -> {
          String ns = fixture.name();
          // On the namespace's loopback: this host's kernel has no dummy interfaces, and lo serves
          // as well.
          Commands.check(
              "ip", "-n", ns, "addr", "add", GuestNetwork.GUEST_ADDRESS + "/32", "dev", "lo");
        });
    return fixture;
  }

  /** The guest address lies behind a TAP that nothing is attached to: no carrier, no answer. */
  static StandInGuest behindDeadTap() throws IOException {
    StandInGuest fixture =
        new StandInGuest(TestNamespace.create(), Files.createTempFile("kindling-serial", ".log"));
    fixture.setUp(
        () -> {
          String ns = fixture.name();
          Commands.check("ip", "-n", ns, "tuntap", "add", GuestNetwork.TAP, "mode", "tap");
          Commands.check(
              "ip",
              "-n",
              ns,
              "addr",
              "add",
              GuestNetwork.HOST_ADDRESS + "/" + GuestNetwork.PREFIX_LENGTH,
              "dev",
              GuestNetwork.TAP);
          Commands.check("ip", "-n", ns, "link", "set", GuestNetwork.TAP, "up");
        });
    return fixture;
  }

  /** Runs {@code setup}, deleting the namespace again when it fails. */
  private void setUp(Runnable setup) {
    try {
      setup.run();
    } catch (RuntimeException e) {
      namespace.close();
      throw e;
    }
  }

  String name() {
    return namespace.name();
  }

  ProbeTarget target() {
    return target(PASSWORD);
  }

  ProbeTarget target(String password) {
    return ProbeTarget.atGuest(
        "vm0123456789", name(), GuestNetwork.GUEST_ADDRESS, password, serialLog);
  }

  /** An agent reporting {@link #app}: running, its window mapped, unless the test changes it. */
  void startAgent() throws IOException {
    startAgent("active", false);
  }

  /** An agent that reports websockify's unit in {@code state}. */
  void startAgentReportingWebsockify(String state) throws IOException {
    startAgent(state, false);
  }

  /** An agent that acknowledges secrets but leaves x11vnc demanding {@code actualPassword}. */
  void startMisconfiguredAgent(String actualPassword) throws IOException {
    vncPassword.set(actualPassword);
    startAgent("active", true);
  }

  private void startAgent(String websockifyState, boolean ignoreSecrets) throws IOException {
    resources.push(
        FakeAgent.start(
            name(),
            new InetSocketAddress(GuestNetwork.GUEST_ADDRESS, GuestNetwork.AGENT_PORT),
            vncPassword,
            ignoreSecrets,
            websockifyState,
            app));
  }

  /** A fake x11vnc showing {@link #screen}. */
  void startVncServer(FakeRfbServer.Behaviour behaviour) throws IOException {
    vncServer =
        FakeRfbServer.start(
            name(),
            new InetSocketAddress("127.0.0.1", GuestNetwork.VNC_PORT),
            vncPassword,
            behaviour,
            screen,
            vncFormats);
    resources.push(vncServer);
  }

  /** Connections the fake x11vnc accepted so far. */
  int vncConnections() {
    return vncServer.connections();
  }

  /** Real websockify, {@code 0.0.0.0:6080 -> 127.0.0.1:5901}, inside the namespace. */
  Process startWebsockify() throws IOException {
    return startWebsockify("0.0.0.0:" + GuestNetwork.WEBSOCKIFY_PORT);
  }

  /**
   * Real websockify behind a forwarder on 6080 that holds back websockify's first answer on every
   * connection for {@code delay}: a websockify too busy to answer an upgrade in the usual time.
   */
  void startSlowWebsockify(Duration delay) throws IOException {
    int behind = GuestNetwork.WEBSOCKIFY_PORT + 1;
    startWebsockify("127.0.0.1:" + behind);
    SlowForwarder forwarder =
        SlowForwarder.start(name(), GuestNetwork.WEBSOCKIFY_PORT, behind, delay);
    resources.push(forwarder::close);
  }

  private Process startWebsockify(String listen) throws IOException {
    Path log = Files.createTempFile("kindling-websockify", ".log");
    Process process =
        new ProcessBuilder(
                List.of(
                    "ip",
                    "netns",
                    "exec",
                    name(),
                    "websockify",
                    listen,
                    "127.0.0.1:" + GuestNetwork.VNC_PORT))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    resources.push(
        () -> {
          stop(process);
          Files.deleteIfExists(log);
        });
    return process;
  }

  /** Accepts TCP on 6080 and never says a word: a port that is open but is not websockify. */
  void startSilentListener() throws IOException {
    startSilentListener(new InetSocketAddress("0.0.0.0", GuestNetwork.WEBSOCKIFY_PORT));
  }

  /** Accepts TCP on the agent's port and never answers: a guest agent that hangs. */
  void startSilentAgent() throws IOException {
    startSilentListener(new InetSocketAddress(GuestNetwork.GUEST_ADDRESS, GuestNetwork.AGENT_PORT));
  }

  private void startSilentListener(InetSocketAddress address) throws IOException {
    ServerSocketChannel server =
        NetworkNamespaces.inside(
            name(),
            () -> {
              ServerSocketChannel s = ServerSocketChannel.open();
              s.bind(address);
              return s;
            });
    Deque<SocketChannel> accepted = new ArrayDeque<>();
    Thread.ofVirtual()
        .start(
            () -> {
              while (server.isOpen()) {
                try {
                  SocketChannel client = server.accept();
                  synchronized (accepted) {
                    accepted.push(client);
                  }
                } catch (IOException e) {
                  return;
                }
              }
            });
    resources.push(
        () -> {
          server.close();
          synchronized (accepted) {
            for (SocketChannel client : accepted) {
              client.close();
            }
          }
        });
  }

  /** Stops websockify and any child it forked. */
  static void stop(Process process) throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public void close() throws Exception {
    try {
      while (!resources.isEmpty()) {
        resources.pop().close();
      }
    } finally {
      namespace.close();
      Files.deleteIfExists(serialLog);
    }
  }
}
