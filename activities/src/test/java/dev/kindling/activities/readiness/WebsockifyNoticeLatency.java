package dev.kindling.activities.readiness;

import dev.kindling.activities.diagnostics.DiagnosticsCollector;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessStage;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures readiness detection latency: from the moment websockify starts serving port 6080 to the
 * moment the probe returns its report. For benchmarks, not tests (it asserts nothing about speed).
 * Needs root, iproute2 and websockify.
 *
 * <p>Method: a stand-in agent and VNC server run in a fresh namespace; the probe starts and waits
 * in its TCP-6080 stage (refused); then real websockify is started. A separate watcher connects to
 * 6080 every 100 µs, so "serving" is the earlier of the watcher's first connect and the probe's
 * own. The probe's extra latency is then its retry gap (at most {@code maxRetryDelay}) plus one
 * WebSocket upgrade and one RFB handshake. A real guest adds x11vnc's pause before its banner
 * (~100–270 ms), which this measurement deliberately leaves out.
 */
public final class WebsockifyNoticeLatency {

  /**
   * @param servingToTcpStageMicros websockify serving → the probe's TCP stage passed
   * @param servingToReadyMicros websockify serving → the probe returned ready
   */
  public record Sample(
      long servingToTcpStageMicros, long servingToReadyMicros, ReadinessReport report) {}

  private WebsockifyNoticeLatency() {}

  public static Sample measure(ProbeSettings settings) throws Exception {
    try (StandInGuest guest = StandInGuest.withGuestAddress()) {
      guest.startAgent();
      guest.startVncServer(FakeRfbServer.Behaviour.SERVES);
      AtomicLong tcpStagePassed = new AtomicLong();
      CompletableFuture<Void> waitingFor6080 = new CompletableFuture<>();
      ProbeListener listener =
          new ProbeListener() {
            @Override
            public void stageStarted(ReadinessStage stage) {
              if (stage == ReadinessStage.TCP_WEBSOCKIFY) {
                waitingFor6080.complete(null);
              }
            }

            @Override
            public void stagePassed(ReadinessStage stage, long nanoTime) {
              if (stage == ReadinessStage.TCP_WEBSOCKIFY) {
                tcpStagePassed.set(nanoTime);
              }
            }
          };
      ReadinessProbe probe = new ReadinessProbe(settings, new DiagnosticsCollector());
      // Own threads, not the common pool: on a 2-core host it has one thread, and the watcher
      // would wait for the probe it is meant to race.
      CompletableFuture<ReadinessReport> report = new CompletableFuture<>();
      Thread.ofPlatform()
          .start(
              () -> {
                try {
                  report.complete(
                      probe.await(
                          guest.target(), VmmLiveness.UNKNOWN, Duration.ofSeconds(30), listener));
                } catch (RuntimeException e) {
                  report.completeExceptionally(e);
                }
              });
      waitingFor6080.get(30, TimeUnit.SECONDS);
      CompletableFuture<Long> watcher = new CompletableFuture<>();
      Thread.ofPlatform().start(() -> watcher.complete(firstConnect(guest)));
      guest.startWebsockify();
      ReadinessReport ready;
      try {
        ready = report.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      long readyAt = System.nanoTime();
      long serving = Math.min(watcher.get(30, TimeUnit.SECONDS), tcpStagePassed.get());
      return new Sample(
          TimeUnit.NANOSECONDS.toMicros(tcpStagePassed.get() - serving),
          TimeUnit.NANOSECONDS.toMicros(readyAt - serving),
          ready);
    }
  }

  private static long firstConnect(StandInGuest guest) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (SocketChannel ignored =
          NetworkNamespaces.connect(
              guest.name(), guest.target().websockify(), Duration.ofMillis(50))) {
        return System.nanoTime();
      } catch (IOException e) {
        long pause = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(100);
        while (System.nanoTime() < pause) {
          Thread.onSpinWait();
        }
      }
    }
    throw new IllegalStateException("websockify never served port 6080");
  }

  /** Prints {@code args[0]} samples (default 5) with the default settings. */
  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    for (int i = 0; i < runs; i++) {
      Sample sample = measure(ProbeSettings.defaults());
      System.out.printf(
          "serving->tcp-stage %d us, serving->ready %d us, stages %s%n",
          sample.servingToTcpStageMicros(),
          sample.servingToReadyMicros(),
          sample.report().stages());
    }
  }
}
