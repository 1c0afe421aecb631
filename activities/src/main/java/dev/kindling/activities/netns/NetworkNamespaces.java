package dev.kindling.activities.netns;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
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
 * Opens sockets inside a named network namespace ({@code /run/netns/<name>}) without adding
 * anything to the host's own namespace. A socket belongs to the namespace it was created in, so
 * the work runs on a fresh platform thread that enters the namespace with {@code setns(2)} (the
 * namespace is per thread) and ends with it; the socket it returns then works from any thread.
 */
public final class NetworkNamespaces {
  public static final Path NETNS_DIR = Path.of("/run/netns");
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY_CLOEXEC = 0x80000;
  private static final int ENFILE = 23;
  private static final int EMFILE = 24;
  private static final StructLayoutHolder ERRNO = new StructLayoutHolder();
  private static final MethodHandle OPEN;
  private static final MethodHandle SETNS;
  private static final MethodHandle CLOSE;

  static {
    Linker linker = Linker.nativeLinker();
    var libc = linker.defaultLookup();
    Linker.Option errno = Linker.Option.captureCallState("errno");
    OPEN = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno);
    SETNS = linker.downcallHandle(libc.find("setns").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
    CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  }

  private NetworkNamespaces() {}

  /** The bind-mount that names {@code namespace}. */
  public static Path path(String namespace) {
    return NETNS_DIR.resolve(checkedName(namespace));
  }

  public static boolean exists(String namespace) {
    return Files.exists(path(namespace));
  }

  /** Runs {@code action} on a platform thread inside {@code namespace}; the thread ends with it. */
  public static <T> T inside(String namespace, Callable<T> action) throws IOException {
    Path nsPath = path(namespace);
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread = Thread.ofPlatform().name("netns-" + namespace).daemon().unstarted(() -> {
      try {
        enter(nsPath);
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
      throw new IOException("interrupted while working inside namespace " + namespace, e);
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

  /** An unconnected TCP channel created inside {@code namespace}. */
  public static SocketChannel openChannel(String namespace) throws IOException {
    return inside(namespace, SocketChannel::open);
  }

  /**
   * A TCP connection to {@code address} made from inside {@code namespace}, blocking up to
   * {@code timeout}. Throws {@link java.net.ConnectException} when refused and
   * {@link java.net.SocketTimeoutException} when nothing answered in time.
   */
  public static SocketChannel connect(String namespace, InetSocketAddress address, Duration timeout) throws IOException {
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
    if (namespace == null || !namespace.matches("[A-Za-z0-9_.-]{1,64}") || namespace.startsWith(".")) {
      throw new dev.kindling.workflows.InvalidInputException("namespace", "'" + namespace + "' is not a valid namespace name");
    }
    return namespace;
  }

  private static void enter(Path nsPath) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(ERRNO.layout);
      int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(nsPath.toString()), O_RDONLY_CLOEXEC);
      if (fd < 0) {
        int errno = ERRNO.errno(state);
        // Worded like the JDK's own message for these two, so callers can tell descriptor exhaustion apart.
        String why = errno == EMFILE || errno == ENFILE ? " (Too many open files)" : "";
        throw new IOException("cannot open " + nsPath + ": errno " + errno + why);
      }
      try {
        int rc = (int) SETNS.invokeExact(state, fd, CLONE_NEWNET);
        if (rc != 0) {
          throw new IOException("setns(" + nsPath + ") failed: errno " + ERRNO.errno(state) + " (needs CAP_SYS_ADMIN)");
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("native call failed entering " + nsPath, t);
    }
  }

  private static final class StructLayoutHolder {
    final MemoryLayout layout = Linker.Option.captureStateLayout();
    final VarHandle errnoHandle = layout.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    int errno(MemorySegment state) {
      return (int) errnoHandle.get(state, 0L);
    }
  }
}
