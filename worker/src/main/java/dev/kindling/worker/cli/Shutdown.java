package dev.kindling.worker.cli;

import java.util.concurrent.CountDownLatch;

/**
 * Long-running commands block in {@link #await()} until Ctrl-C or SIGTERM; the shutdown hook then
 * waits for the command to close its resources in order. {@code System.exit} must not be called
 * while the JVM is already shutting down (it would block), hence {@link #requested()}.
 */
final class Shutdown {
  private static volatile boolean requested;

  private Shutdown() {}

  static void await() throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      requested = true;
      stop.countDown();
      try {
        main.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "kindling-shutdown"));
    stop.await();
  }

  static boolean requested() {
    return requested;
  }
}
