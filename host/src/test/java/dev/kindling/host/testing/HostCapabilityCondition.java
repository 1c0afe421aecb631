package dev.kindling.host.testing;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link RequiresHost}; a skip names every missing capability. */
public final class HostCapabilityCondition implements ExecutionCondition {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    var annotation =
        context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresHost.class));
    if (annotation.isEmpty()) {
      return ConditionEvaluationResult.enabled("no host requirements");
    }
    String missing =
        Arrays.stream(annotation.get().value())
            .filter(c -> !c.present())
            .map(HostCapability::description)
            .collect(Collectors.joining("; "));
    if (missing.isEmpty()) {
      return ConditionEvaluationResult.enabled("host has every required capability");
    }
    String reason = "skipped: this host lacks " + missing;
    System.err.println("[kindling] " + context.getDisplayName() + " " + reason);
    return ConditionEvaluationResult.disabled(reason);
  }
}
