package dev.kindling.host.netns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Named network namespaces ({@code /run/netns/<name>}), made and entered without a process and
 * without adding anything to the host's own namespace. A namespace belongs to a thread, so work
 * inside one runs on a fresh platform thread that enters it ({@code setns(2)}) or creates it
 * ({@code unshare(2)}) and ends with it; a socket made there keeps working from any thread.
 */
public final class NetworkNamespaces {
  public static final Path NETNS_DIR = Path.of("/run/netns");
  private static boolean netnsDirShared;

  private NetworkNamespaces() {}

  /** The bind-mount that names {@code namespace}. */
  public static Path path(String namespace) {
    return NETNS_DIR.resolve(checkedName(namespace));
  }

  public static boolean exists(String namespace) {
    return Files.exists(path(namespace));
  }

  /**
   * Creates the empty namespace {@code namespace} as {@code ip netns add} does: a fresh thread
   * unshares its network namespace and bind-mounts it at {@link #path}, and the mount keeps it
   * alive after the thread ends. Its loopback is down, as in any new namespace.
   *
   * @throws java.nio.file.FileAlreadyExistsException when the name is taken
   */
  public static void create(String namespace) throws IOException {
    Path nsPath = path(namespace);
    shareNetnsDir();
    Files.createFile(nsPath);
    try {
      onFreshThread(
          "netns-add-" + namespace,
          () -> {
            Libc.unshare(Libc.CLONE_NEWNET);
            Libc.mount("/proc/thread-self/ns/net", nsPath.toString(), "none", Libc.MS_BIND);
            return null;
          });
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(nsPath);
      throw e;
    }
  }

  /**
   * Removes the name of {@code namespace} as {@code ip netns delete} does; the kernel frees the
   * namespace, and everything in it, once no process runs inside. True when the name existed.
   */
  public static boolean delete(String namespace) throws IOException {
    Path nsPath = path(namespace);
    if (!Files.exists(nsPath)) {
      return false;
    }
    try {
      Libc.umount2(nsPath.toString(), Libc.MNT_DETACH);
    } catch (Libc.ErrnoException e) {
      // EINVAL: a name whose creation was interrupted before the mount; only the file remains.
      if (e.errno() != Libc.EINVAL) {
        throw e;
      }
    }
    Files.deleteIfExists(nsPath);
    return true;
  }

  /** Runs {@code action} on a platform thread inside {@code namespace}; the thread ends with it. */
  public static <T> T inside(String namespace, Callable<T> action) throws IOException {
    Path nsPath = path(namespace);
    return onFreshThread(
        "netns-" + namespace,
        () -> {
          enter(nsPath);
          return action.call();
        });
  }

  /** An unconnected TCP channel created inside {@code namespace}. */
  public static SocketChannel openChannel(String namespace) throws IOException {
    return inside(namespace, SocketChannel::open);
  }

  /**
   * A TCP connection to {@code address} made from inside {@code namespace}, blocking up to {@code
   * timeout}. Throws {@link java.net.ConnectException} when refused and {@link
   * java.net.SocketTimeoutException} when nothing answered in time.
   */
  public static SocketChannel connect(String namespace, InetSocketAddress address, Duration timeout)
      throws IOException {
    SocketChannel channel = openChannel(namespace);
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.socket().connect(address, (int) Math.max(1, timeout.toMillis()));
      return channel;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static String checkedName(String namespace) {
    if (namespace == null
        || !namespace.matches("[A-Za-z0-9_.-]{1,64}")
        || namespace.startsWith(".")) {
      throw new dev.kindling.workflows.InvalidInputException(
          "namespace", "'" + namespace + "' is not a valid namespace name");
    }
    return namespace;
  }

  private static void enter(Path nsPath) throws IOException {
    int fd = Libc.open(nsPath.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
    try {
      Libc.setns(fd, Libc.CLONE_NEWNET, nsPath + ", needs CAP_SYS_ADMIN");
    } finally {
      Libc.close(fd);
    }
  }

  /**
   * Makes {@link #NETNS_DIR} a shared mount point, as {@code ip netns add} does, so that the
   * namespaces bind-mounted under it are visible from other mount namespaces too.
   */
  private static synchronized void shareNetnsDir() throws IOException {
    if (netnsDirShared) {
      return;
    }
    Files.createDirectories(NETNS_DIR);
    String dir = NETNS_DIR.toString();
    try {
      Libc.mount("", dir, "none", Libc.MS_SHARED | Libc.MS_REC);
    } catch (Libc.ErrnoException e) {
      if (e.errno() != Libc.EINVAL) {
        throw e;
      }
      // Not a mount point yet: bind-mount it onto itself first.
      Libc.mount(dir, dir, "none", Libc.MS_BIND | Libc.MS_REC);
      Libc.mount("", dir, "none", Libc.MS_SHARED | Libc.MS_REC);
    }
    netnsDirShared = true;
  }

  /** Runs {@code action} on a new platform thread, whose namespace changes end with it. */
  private static <T> T onFreshThread(String name, Callable<T> action) throws IOException {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread =
        Thread.ofPlatform()
            .name(name)
            .daemon()
            .unstarted(
                () -> {
                  try {
                    result.complete(action.call());
                  } catch (Throwable t) {
                    result.completeExceptionally(t);
                  }
                });
    thread.start();
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + name, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(cause.getMessage(), cause);
    }
  }
}
