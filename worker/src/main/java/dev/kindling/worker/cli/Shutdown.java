package dev.kindling.worker.cli;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Long-running commands block in {@link #await} until Ctrl-C or SIGTERM (or something they depend
 * on is lost); the shutdown hook then waits for the command to close its resources in order. {@code
 * System.exit} must not be called while the JVM is already shutting down (it would block), hence
 * {@link #requested()}.
 */
final class Shutdown {
  private static volatile boolean requested;

  private Shutdown() {}

  static void await() throws InterruptedException {
    await(new CompletableFuture<>());
  }

  /** Returns empty after Ctrl-C or SIGTERM, or the reason {@code lost} completed with. */
  static Optional<String> await(CompletableFuture<String> lost) throws InterruptedException {
    CompletableFuture<Optional<String>> stop = new CompletableFuture<>();
    Thread main = Thread.currentThread();
    Thread hook =
        new Thread(
            () -> {
              requested = true;
              stop.complete(Optional.empty());
              try {
                main.join(30_000);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "kindling-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    lost.thenAccept(reason -> stop.complete(requested ? Optional.empty() : Optional.of(reason)));
    try {
      Optional<String> reason = stop.get();
      if (reason.isPresent()) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
          return Optional.empty(); // Ctrl-C came at the same moment: an ordinary stop
        }
      }
      return reason;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  static boolean requested() {
    return requested;
  }
}
