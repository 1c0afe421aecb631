package dev.kindling.worker.dev;

import dev.kindling.workflows.KindlingSearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.OperatorServiceStubs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Kindling's custom search attributes on a Temporal namespace: which are missing, and registering
 * them.
 */
final class TemporalSearchAttributes {
  private TemporalSearchAttributes() {}

  static List<String> missing(OperatorServiceStubs operator, String namespace) {
    Set<String> registered =
        operator
            .blockingStub()
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .listSearchAttributes(
                ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build())
            .getCustomAttributesMap()
            .keySet();
    return KindlingSearchAttributes.all().stream()
        .map(SearchAttributeKey::getName)
        .filter(name -> !registered.contains(name))
        .toList();
  }

  /** Registers those that are missing (a server that already has them keeps them). */
  static void ensure(OperatorServiceStubs operator, String namespace) {
    List<String> missing = missing(operator, namespace);
    if (missing.isEmpty()) {
      return;
    }
    Map<String, IndexedValueType> attributes = new LinkedHashMap<>();
    for (SearchAttributeKey<?> key : KindlingSearchAttributes.all()) {
      if (missing.contains(key.getName())) {
        attributes.put(key.getName(), key.getValueType());
      }
    }
    operator
        .blockingStub()
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .addSearchAttributes(
            AddSearchAttributesRequest.newBuilder()
                .setNamespace(namespace)
                .putAllSearchAttributes(attributes)
                .build());
  }
}
