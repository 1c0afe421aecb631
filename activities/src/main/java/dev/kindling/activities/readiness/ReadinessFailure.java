package dev.kindling.activities.readiness;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ReadinessStage;

/**
 * Readiness failed in {@link #stage()} for a typed reason, with the evidence collected at that
 * moment.
 */
public final class ReadinessFailure extends KindedException {
  private final ReadinessStage stage;
  private final Diagnostics diagnostics;

  public ReadinessFailure(
      FailureKind kind, ReadinessStage stage, String message, Diagnostics diagnostics) {
    super(kind, message);
    this.stage = stage;
    this.diagnostics = diagnostics;
  }

  public ReadinessStage stage() {
    return stage;
  }

  public Diagnostics diagnostics() {
    return diagnostics;
  }

  /** The evidence: the diagnostics collected when readiness failed. */
  @Override
  public Object[] details() {
    return new Object[] {diagnostics};
  }
}
