package dev.kindling.activities.egress;

import dev.kindling.host.Printable;
import dev.kindling.workflows.egress.HostNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection from a guest: read its request head, check it, connect upstream, relay. Nothing is
 * connected out for a request that is malformed, not allowed, or over a limit; each of those is
 * answered with a {@link RefusalResponse} and closed.
 */
final class GuestConnection implements Runnable, UpstreamConnector.Attach {
  private static final Logger LOG = LoggerFactory.getLogger(EgressProxy.class);
  private static final byte[] ESTABLISHED =
      "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** How long a refused client may take to send its request or to stop sending after the answer. */
  private static final Duration LINGER = Duration.ofSeconds(1);

  private static final int MAX_DRAINED = 64 * 1024;

  private final ServedVm vm;
  private final Socket client;
  private final boolean overLimit;
  private Socket upstream;
  private boolean cut;

  /**
   * @param overLimit whether the VM already had its most connections when this one came; it is
   *     answered 429
   */
  GuestConnection(ServedVm vm, Socket client, boolean overLimit) {
    this.vm = vm;
    this.client = client;
    this.overLimit = overLimit;
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (IOException e) {
      LOG.debug("egress: a connection of vm {} ended: {}", vm.vmId(), e.toString());
    } catch (RuntimeException e) {
      LOG.warn("egress: a connection of vm {} failed", vm.vmId(), e);
    } finally {
      cut();
      vm.ended(this);
    }
  }

  /** Closes both sides; the threads serving this connection end as their sockets close. */
  void cut() {
    Socket up;
    synchronized (this) {
      cut = true;
      up = upstream;
    }
    Sockets.closeQuietly(client);
    Sockets.closeQuietly(up);
  }

  @Override
  public void attach(Socket socket) throws IOException {
    synchronized (this) {
      if (!cut) {
        upstream = socket;
        return;
      }
    }
    socket.close();
    throw new SocketException("the connection was cut");
  }

  /** For a connection the proxy has no thread for: answer 429 without reading, and close. */
  void refuseAtOnce() {
    Refused refused = tooMany(null);
    vm.refused(refused);
    try {
      client.getOutputStream().write(RefusalResponse.bytes(429, refused.reason(), false));
    } catch (IOException e) {
      // The guest is gone; the refusal is counted all the same.
    } finally {
      Sockets.closeQuietly(client);
    }
  }

  private void serve() throws IOException {
    client.setTcpNoDelay(true);
    EgressLimits limits = vm.limits();
    RequestHead head;
    try {
      Duration timeout = overLimit ? min(limits.headTimeout(), LINGER) : limits.headTimeout();
      head = new RequestHeadReader(client, limits.maxHeadBytes()).read(timeout);
    } catch (Refused refused) {
      refuse(overLimit ? tooMany(null) : refused, false);
      return;
    }
    if (head == null) {
      return;
    }
    boolean html = head.accepts("text/html");
    if (overLimit) {
      refuse(tooMany(destinationOrNull(head)), html);
      return;
    }
    Destination destination;
    long body;
    Socket connected;
    try {
      destination = Destination.of(head);
      body = destination.isTunnel() ? Long.MAX_VALUE : ForwardedRequest.bodyLength(head);
      connected = connect(destination);
    } catch (Refused refused) {
      refuse(refused, html);
      return;
    }
    vm.allowed(destination);
    OutputStream out = connected.getOutputStream();
    byte[] firstBytes = head.rest();
    if (destination.isTunnel()) {
      client.getOutputStream().write(ESTABLISHED);
    } else {
      byte[] forwarded = ForwardedRequest.head(head, destination);
      out.write(forwarded);
      vm.fromGuest(forwarded.length);
    }
    int first = (int) Math.min(firstBytes.length, body);
    if (first > 0) {
      out.write(firstBytes, 0, first);
      vm.fromGuest(first);
    }
    new Relay(
            client,
            connected,
            limits.idleTimeout(),
            vm::fromGuest,
            vm::toGuest,
            !destination.isTunnel(),
            destination.isTunnel() ? Long.MAX_VALUE : body - first)
        .run("egress-" + vm.vmId());
  }

  private Socket connect(Destination destination) throws Refused, IOException {
    String written = Printable.of(destination.host(), HostNames.MAX_LENGTH);
    int port = destination.port();
    Optional<String> name = HostNames.canonical(destination.host());
    String named = name.orElse(written);
    if (vm.bytesUsedUp()) {
      throw new Refused(
          403,
          written,
          port,
          "this session has used up its " + vm.limits().maxBytesPerVm() + " bytes of egress");
    }
    if (name.isEmpty() || vm.policy().allowing(name.get(), port).isEmpty()) {
      throw new Refused(
          403, written, port, named + ":" + port + " is not allowed for this session");
    }
    return vm.connector().connect(name.get(), written, port, this);
  }

  private static Destination destinationOrNull(RequestHead head) {
    try {
      return Destination.of(head);
    } catch (Refused malformed) {
      return null;
    }
  }

  private Refused tooMany(Destination destination) {
    return new Refused(
        429,
        destination == null ? null : Printable.of(destination.host(), HostNames.MAX_LENGTH),
        destination == null ? 0 : destination.port(),
        "too many connections: this session may have "
            + vm.limits().maxConnectionsPerVm()
            + " open at once");
  }

  /** Answers, then reads what the client still sends for a moment so the answer is not lost. */
  private void refuse(Refused refused, boolean html) {
    synchronized (this) {
      if (cut) {
        return;
      }
    }
    vm.refused(refused);
    try {
      client
          .getOutputStream()
          .write(RefusalResponse.bytes(refused.status(), refused.reason(), html));
      client.shutdownOutput();
      drain();
    } catch (IOException e) {
      // The guest is gone; the refusal is counted all the same.
    }
  }

  /**
   * Closing a socket with unread input resets the connection, and a reset may make the client drop
   * the answer it has not read yet.
   */
  private void drain() throws IOException {
    long deadline = System.nanoTime() + LINGER.toNanos();
    InputStream in = client.getInputStream();
    byte[] sink = new byte[4096];
    int drained = 0;
    while (drained < MAX_DRAINED) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      client.setSoTimeout(RequestHeadReader.millis(left));
      int n = in.read(sink);
      if (n < 0) {
        return;
      }
      drained += n;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
