package dev.kindling.proxy;

import dev.kindling.workflows.vm.Viewers;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** What a proxy reported to sessions' owners, in order, with when ({@link System#nanoTime}). */
final class RecordedActivity implements SessionActivity {
  record Report(String sessionId, Viewers viewers, long atNanos) {
    boolean isInput() {
      return viewers == null;
    }
  }

  final List<Report> reports = new CopyOnWriteArrayList<>();

  @Override
  public void viewers(String sessionId, Viewers viewers) {
    reports.add(new Report(sessionId, viewers, System.nanoTime()));
  }

  @Override
  public void input(String sessionId) {
    reports.add(new Report(sessionId, null, System.nanoTime()));
  }

  List<Report> inputs() {
    return reports.stream().filter(Report::isInput).toList();
  }

  /** The last viewers report for {@code sessionId}, or null. */
  Viewers lastViewers(String sessionId) {
    Viewers last = null;
    for (Report r : reports) {
      if (r.sessionId().equals(sessionId) && !r.isInput()) {
        last = r.viewers();
      }
    }
    return last;
  }
}
