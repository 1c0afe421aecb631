package dev.kindling.proxy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
 * descriptor instead and accepts the browser in its place; the upstream connect for that browser
 * then fails the same way, which the close table answers with {@link CloseOutcome#PROXY_FULL},
 * and closing the browser's socket frees a descriptor for the next one in the queue. The spare is
 * taken back as soon as a descriptor is free again. Normally the connection limit
 * ({@link ProxyConfig#maxConnections()}) refuses first and this never happens.
 */
final class SpareDescriptorConnector extends ServerConnector {
  private static final Logger LOG = LoggerFactory.getLogger(SpareDescriptorConnector.class);
  private static final Path SPARE = Path.of("/dev/null");
  private static final long RETRY_MILLIS = 20;
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Object lock = new Object();
  private FileChannel spare;
  private long lastWarning = System.nanoTime() - WARN_EVERY_NANOS;

  SpareDescriptorConnector(Server server) {
    // One acceptor thread: the spare is used where accept() is called, never by the selectors.
    super(server, 1, -1);
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

  /** Whether a spare descriptor is held now (tests). */
  boolean holdsSpare() {
    synchronized (lock) {
      return spare != null;
    }
  }

  @Override
  public void accept(int acceptorID) throws IOException {
    try {
      super.accept(acceptorID);
    } catch (IOException e) {
      if (!DescriptorExhaustion.causedBy(e) || !giveUpSpare()) {
        throw e;
      }
      warn("out of file descriptors: accepting a browser with the spare descriptor to tell it the proxy is full");
      // The connection is still queued: this accept takes the descriptor the spare held.
      super.accept(acceptorID);
    } finally {
      takeSpare();
    }
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

  private void takeSpare() {
    synchronized (lock) {
      // An accept that ends while the connector stops must not take back what doStop closed.
      if (spare != null || isStopping() || isStopped()) {
        return;
      }
      try {
        spare = FileChannel.open(SPARE);
      } catch (IOException e) {
        // Still out of descriptors; the next accept tries again.
      }
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
}
