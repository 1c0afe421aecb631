package dev.kindling.proxy;

import java.io.IOException;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
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
 * A server connector that keeps one file descriptor in reserve for telling a browser that the
 * proxy is full.
 *
 * <p>When the process is out of descriptors, accept() fails with EMFILE and leaves the browser's
 * connection in the listen queue. Jetty's own connector then logs, sleeps a second and tries
 * again, and the browser hears nothing until some descriptor is freed. This one closes its spare
 * descriptor instead and accepts the browser in its place. Unless the spare can be taken again at
 * once, that browser is refused with {@link CloseOutcome#PROXY_FULL} ({@link #acceptedOnSpare})
 * even if its upstream connect could succeed: relayed, it would keep the spare's descriptor for as
 * long as it lasts, and the next browser past the limit would hang. Closing its socket gives the
 * descriptor back, and the spare is taken again before the next accept. Normally the connection
 * limit ({@link ProxyConfig#maxConnections()}) refuses first and this never happens.
 */
final class SpareDescriptorConnector extends ServerConnector {
  private static final Logger LOG = LoggerFactory.getLogger(SpareDescriptorConnector.class);
  private static final Path SPARE = Path.of("/dev/null");
  private static final long RETRY_MILLIS = 20;
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Object lock = new Object();
  private final Set<SocketChannel> onSpare = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
  private FileChannel spare;
  private boolean acceptingOnSpare;
  private long lastWarning = System.nanoTime() - WARN_EVERY_NANOS;

  SpareDescriptorConnector(Server server) {
    // One acceptor thread: the spare is used where accept() is called, never by the selectors.
    super(server, 1, -1);
  }

  /** Whether {@code request} came on a connection accepted with the spare descriptor. */
  static boolean acceptedOnSpare(Request request) {
    return request.getConnectionMetaData().getConnection().getEndPoint() instanceof SpareEndPoint;
  }

  @Override
  protected void doStart() throws Exception {
    takeSpare();
    super.doStart();
  }

  @Override
  protected void doStop() throws Exception {
    try {
      super.doStop();
    } finally {
      synchronized (lock) {
        if (spare != null) {
          spare.close();
          spare = null;
        }
      }
    }
  }

  @Override
  public void accept(int acceptorID) throws IOException {
    takeSpare();
    try {
      super.accept(acceptorID);
    } catch (IOException e) {
      if (!DescriptorExhaustion.causedBy(e) || !giveUpSpare()) {
        throw e;
      }
      warn("out of file descriptors: accepting a browser with the spare descriptor to tell it the proxy is full");
      // The connection is still queued: this accept takes the descriptor the spare held.
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
    if (acceptingOnSpare && !takeSpare()) {
      onSpare.add(socket.getChannel());
    }
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key) throws IOException {
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
    // Out of descriptors with no spare left: retry soon, as any closed socket lets the next browser in.
    warn("out of file descriptors and no spare: browsers wait in the listen queue until a connection closes");
    try {
      Thread.sleep(RETRY_MILLIS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private boolean giveUpSpare() throws IOException {
    synchronized (lock) {
      if (spare == null) {
        return false;
      }
      spare.close();
      spare = null;
      return true;
    }
  }

  /** Takes the spare unless it is held already; whether it is held now. */
  private boolean takeSpare() {
    synchronized (lock) {
      // An accept that ends while the connector stops must not take back what doStop closed.
      if (spare == null && !isStopping() && !isStopped()) {
        try {
          spare = FileChannel.open(SPARE);
        } catch (IOException e) {
          // Still out of descriptors; the next accept tries again.
        }
      }
      return spare != null;
    }
  }

  private void warn(String message) {
    synchronized (lock) {
      long now = System.nanoTime();
      if (now - lastWarning < WARN_EVERY_NANOS) {
        return;
      }
      lastWarning = now;
    }
    LOG.warn("{} (raise the open-file limit, lower proxy.maxConnections, or run more proxy processes)", message);
  }

  /** The socket of a browser accepted with the spare descriptor. */
  private static final class SpareEndPoint extends SocketChannelEndPoint {
    SpareEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, ServerConnector connector) {
      super(channel, selector, key, connector.getScheduler());
    }
  }
}
