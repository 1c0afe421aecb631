package dev.kindling.activities.egress.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Watches, twice a second, for other heavy work on this 2-CPU host while a phase of the benchmark
 * runs: test JVMs (surefire), Maven builds, QEMU. What it saw goes into the report next to the
 * phase, so that a number measured beside someone's build is not mistaken for a quiet one.
 */
final class OtherWork implements AutoCloseable {
  private static final Map<String, String> KINDS =
      Map.of(
          "surefire", "a test JVM (surefire)",
          "plexus-classworlds", "a Maven build",
          "qemu-system", "QEMU");

  private final Map<String, Set<String>> seen = new LinkedHashMap<>();
  private final Thread watcher;
  private volatile String phase = "start";
  private volatile boolean closed;

  OtherWork() {
    watcher = Thread.ofPlatform().daemon().name("bench-other-work").start(this::watch);
  }

  /** Whatever is seen from now on counts against {@code name}. */
  void phase(String name) {
    phase = name;
    synchronized (seen) {
      seen.computeIfAbsent(name, n -> new TreeSet<>());
    }
  }

  /** What each phase ran beside, e.g. "throughput: nothing; round trips: a Maven build". */
  String report() {
    synchronized (seen) {
      return seen.entrySet().stream()
          .filter(e -> !e.getKey().equals("start"))
          .map(
              e ->
                  e.getKey()
                      + ": "
                      + (e.getValue().isEmpty() ? "nothing" : String.join(", ", e.getValue())))
          .collect(Collectors.joining("; "));
    }
  }

  /** Whether anything was seen beside the given phases. */
  boolean quietDuring(Set<String> phases) {
    synchronized (seen) {
      return phases.stream().allMatch(p -> seen.getOrDefault(p, Set.of()).isEmpty());
    }
  }

  @Override
  public void close() {
    closed = true;
    watcher.interrupt();
  }

  private void watch() {
    long self = ProcessHandle.current().pid();
    while (!closed) {
      String current = phase;
      Set<String> now = new TreeSet<>();
      ProcessHandle.allProcesses()
          .filter(p -> p.pid() != self && !isOurs(p, self))
          .forEach(
              p ->
                  p.info()
                      .commandLine()
                      .ifPresent(
                          command ->
                              KINDS.forEach(
                                  (marker, kind) -> {
                                    if (command.contains(marker)) {
                                      now.add(kind);
                                    }
                                  })));
      synchronized (seen) {
        seen.computeIfAbsent(current, n -> new TreeSet<>()).addAll(now);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** This JVM's own children (the proxy's JVMs) and their descendants. */
  private static boolean isOurs(ProcessHandle process, long self) {
    for (ProcessHandle p = process; ; ) {
      Optional<ProcessHandle> parent = p.parent();
      if (parent.isEmpty()) {
        return false;
      }
      if (parent.get().pid() == self) {
        return true;
      }
      p = parent.get();
    }
  }
}
