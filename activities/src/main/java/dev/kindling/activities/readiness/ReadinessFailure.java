package dev.kindling.activities.readiness;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ReadinessStage;
import io.temporal.failure.ApplicationFailure;

/** Readiness failed in {@link #stage()} for a typed reason, with the evidence collected at that moment. */
public final class ReadinessFailure extends RuntimeException {
  private final FailureKind kind;
  private final ReadinessStage stage;
  private final Diagnostics diagnostics;

  public ReadinessFailure(FailureKind kind, ReadinessStage stage, String message, Diagnostics diagnostics) {
    super(message);
    this.kind = kind;
    this.stage = stage;
    this.diagnostics = diagnostics;
  }

  public FailureKind kind() {
    return kind;
  }

  public ReadinessStage stage() {
    return stage;
  }

  public Diagnostics diagnostics() {
    return diagnostics;
  }

  /** The Temporal failure a workflow sees: the kind's type, this message, the diagnostics as details. */
  public ApplicationFailure toApplicationFailure() {
    return kind.failure(getMessage(), diagnostics);
  }
}
