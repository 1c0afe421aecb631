package dev.kindling.activities.image.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows a VM's serial log while it boots and stamps every line with the host time it appeared, so
 * a benchmark can say when the kernel, the initrd, systemd and the guest agent got going. The
 * stamps are upper bounds: a line is seen at most one poll interval after QEMU wrote it.
 */
final class SerialTimeline implements AutoCloseable {
  private static final long POLL_MILLIS = 5;

  /** One serial line and the milliseconds since the timeline's origin when it was first seen. */
  record Line(long millis, String text) {}

  private final Path file;
  private final long originNanos;
  private final List<Line> lines = new ArrayList<>();
  private final Thread follower;
  private final StringBuilder partial = new StringBuilder();
  private volatile boolean running = true;

  SerialTimeline(Path file, long originNanos) {
    this.file = file;
    this.originNanos = originNanos;
    this.follower = Thread.ofPlatform().daemon().name("serial-timeline").start(this::follow);
  }

  private void follow() {
    long offset = 0;
    byte[] buffer = new byte[64 * 1024];
    while (running) {
      try {
        if (Files.exists(file)) {
          try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            in.seek(offset);
            for (int n; (n = in.read(buffer)) > 0; ) {
              offset += n;
              append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
          }
        }
        Thread.sleep(POLL_MILLIS);
      } catch (IOException e) {
        // The VM directory can vanish while the VM is torn down; the timeline simply ends.
        return;
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void append(String chunk) {
    long now = (System.nanoTime() - originNanos) / 1_000_000;
    for (char c : chunk.toCharArray()) {
      if (c == '\n') {
        String text = partial.toString().replace("\r", "").strip();
        if (!text.isEmpty()) {
          lines.add(new Line(now, text));
        }
        partial.setLength(0);
      } else {
        partial.append(c);
      }
    }
  }

  /** When the first line containing {@code marker} appeared, or -1. */
  synchronized long firstSeen(String marker) {
    return lines.stream()
        .filter(l -> l.text().contains(marker))
        .mapToLong(Line::millis)
        .findFirst()
        .orElse(-1);
  }

  synchronized List<Line> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    running = false;
    follower.interrupt();
  }
}
