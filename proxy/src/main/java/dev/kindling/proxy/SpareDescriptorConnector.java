package dev.kindling.proxy;

import java.io.IOException;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server connector that uses the {@link SpareDescriptor} to tell a browser that the proxy is full
 * when the process is out of file descriptors.
 *
 * <p>Then accept() fails with EMFILE and leaves the browser's connection in the listen queue.
 * Jetty's own connector logs, sleeps a second and tries again, and the browser hears nothing until
 * some descriptor is freed. This one gives up the spare instead and accepts the browser in its
 * place. Unless the spare can be taken again at once, that browser is refused with {@link
 * CloseOutcome#PROXY_FULL} ({@link #acceptedOnSpare}) even if its upstream connect could succeed:
 * relayed, it would keep the spare's descriptor for as long as it lasts. Closing its socket gives
 * the descriptor back, and the spare is taken again before the next accept. Normally the connection
 * limit ({@link ProxyConfig#maxConnections()}) refuses first and this never happens.
 */
final class SpareDescriptorConnector extends ServerConnector {
  private static final Logger log = LoggerFactory.getLogger(SpareDescriptorConnector.class);
  private static final long RETRY_MILLIS = 20;
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Object warnings = new Object();
  private final SpareDescriptor spare;
  private final Set<SocketChannel> onSpare =
      Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
  private boolean acceptingOnSpare;
  private long lastWarning = System.nanoTime() - WARN_EVERY_NANOS;

  SpareDescriptorConnector(Server server, SpareDescriptor spare) {
    // One acceptor thread: the spare is used where accept() is called, never by the selectors.
    super(server, 1, -1);
    this.spare = spare;
  }

  /** Whether {@code request} came on a connection accepted with the spare descriptor. */
  static boolean acceptedOnSpare(Request request) {
    return request.getConnectionMetaData().getConnection().getEndPoint() instanceof SpareEndPoint;
  }

  @Override
  protected void doStart() throws Exception {
    spare.take();
    super.doStart();
  }

  @Override
  protected void doStop() throws Exception {
    try {
      super.doStop();
    } finally {
      spare.close();
    }
  }

  @Override
  public void accept(int acceptorID) throws IOException {
    spare.take();
    try {
      super.accept(acceptorID);
    } catch (IOException e) {
      if (!DescriptorExhaustion.causedBy(e) || !spare.release()) {
        throw e;
      }
      // accept() holds the freed descriptor while it waits for a browser. Sockets to VMs are not
      // opened meanwhile (SpareDescriptor), and nothing here may open a file in between.
      acceptingOnSpare = true;
      try {
        super.accept(acceptorID);
      } finally {
        acceptingOnSpare = false;
      }
    }
  }

  @Override
  protected void configure(Socket socket) {
    super.configure(socket);
    // A descriptor freed while this accept waited for the browser lets the spare be taken again,
    // and then the browser may be relayed like any other.
    if (acceptingOnSpare && !spare.take()) {
      onSpare.add(socket.getChannel());
      warn(
          "out of file descriptors: accepted a browser with the spare descriptor to tell it the proxy is full");
    }
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(
      SocketChannel channel, ManagedSelector selector, SelectionKey key) throws IOException {
    if (!onSpare.remove(channel)) {
      return super.newEndPoint(channel, selector, key);
    }
    SocketChannelEndPoint endPoint = new SpareEndPoint(channel, selector, key, this);
    endPoint.setIdleTimeout(getIdleTimeout());
    return endPoint;
  }

  @Override
  protected boolean handleAcceptFailure(Throwable failure) {
    if (!isRunning() || !DescriptorExhaustion.causedBy(failure)) {
      return super.handleAcceptFailure(failure);
    }
    // Out of descriptors with no spare left: retry soon, as any closed socket lets the next browser
    // in.
    warn(
        "out of file descriptors and no spare: browsers wait in the listen queue until a connection closes");
    try {
      Thread.sleep(RETRY_MILLIS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void warn(String message) {
    synchronized (warnings) {
      long now = System.nanoTime();
      if (now - lastWarning < WARN_EVERY_NANOS) {
        return;
      }
      lastWarning = now;
    }
    log.warn(
        "{} (raise the open-file limit, lower proxy.maxConnections, or run more proxy processes)",
        message);
  }

  /** The socket of a browser accepted with the spare descriptor. */
  private static final class SpareEndPoint extends SocketChannelEndPoint {
    SpareEndPoint(
        SocketChannel channel,
        ManagedSelector selector,
        SelectionKey key,
        ServerConnector connector) {
      super(channel, selector, key, connector.getScheduler());
    }
  }
}
