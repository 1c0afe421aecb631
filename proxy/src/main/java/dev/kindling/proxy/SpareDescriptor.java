package dev.kindling.proxy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One file descriptor kept spare, so that a browser can still be accepted and told the proxy is
 * full when the process has no other ({@link SpareDescriptorConnector}).
 *
 * <p>Sockets to VMs are opened only while the spare is held ({@link #open}). One opened while the
 * acceptor has given the spare up would take the descriptor meant for the browser being accepted;
 * the spare could not be taken back for as long as that socket lasts, and the next browser past the
 * limit would wait unanswered in the listen queue.
 */
final class SpareDescriptor implements AutoCloseable {
  private static final Path SPARE = Path.of("/dev/null");

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private FileChannel spare;
  private boolean closed;

  /** Something that opens a descriptor. */
  @FunctionalInterface
  interface Opening<T> {
    T open() throws IOException;
  }

  /** Takes the spare unless it is held already; whether it is held now. */
  boolean take() {
    lock.writeLock().lock();
    try {
      if (spare == null && !closed) {
        try {
          spare = FileChannel.open(SPARE);
        } catch (IOException e) {
          // Out of descriptors: the next take tries again.
        }
      }
      return spare != null;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Frees the spare's descriptor for the caller's next call; false when it was not held. */
  boolean release() throws IOException {
    lock.writeLock().lock();
    try {
      if (spare == null) {
        return false;
      }
      spare.close();
      spare = null;
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Runs {@code opening} while the spare is held, taking it back first when it was given up. Fails
   * the way running out of descriptors does when it cannot be taken back. Once closed (the proxy
   * stopping) there is nothing left to keep, and {@code opening} just runs.
   */
  <T> T open(Opening<T> opening) throws IOException {
    for (int attempt = 0; attempt < 2; attempt++) {
      lock.readLock().lock();
      try {
        if (spare != null || closed) {
          return opening.open();
        }
      } finally {
        lock.readLock().unlock();
      }
      if (!take()) {
        break;
      }
    }
    throw new IOException(
        "Too many open files: only the descriptor kept for telling browsers the proxy is full is left");
  }

  @Override
  public void close() throws IOException {
    lock.writeLock().lock();
    try {
      closed = true;
      if (spare != null) {
        spare.close();
        spare = null;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }
}
