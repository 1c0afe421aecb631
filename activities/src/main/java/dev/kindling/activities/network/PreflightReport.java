package dev.kindling.activities.network;

import java.util.List;
import java.util.stream.Collectors;

/** Every preflight check and its outcome; {@link #summary()} names each failure with its fix. */
public record PreflightReport(List<PreflightCheck> checks) {
  public boolean passed() {
    return checks.stream().allMatch(PreflightCheck::passed);
  }

  public List<PreflightCheck> failures() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  public String summary() {
    if (passed()) {
      return "host preflight passed: "
          + checks.stream().map(PreflightCheck::name).collect(Collectors.joining(", "));
    }
    return failures().stream()
        .map(c -> c.name() + ": " + c.problem() + " (fix: " + c.fix() + ")")
        .collect(Collectors.joining("; "));
  }
}
