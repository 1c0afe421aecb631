package dev.kindling.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** A route table a test fills in; unknown sessions resolve to Unknown. */
final class StaticRoutes implements RouteResolver {
  private final Map<String, Function<String, Resolution>> answers = new ConcurrentHashMap<>();

  StaticRoutes put(String sessionId, Resolution resolution) {
    answers.put(sessionId, id -> resolution);
    return this;
  }

  StaticRoutes put(String sessionId, Route route) {
    return put(sessionId, new Resolution.Found(route));
  }

  StaticRoutes failing(String sessionId, RuntimeException failure) {
    answers.put(
        sessionId,
        id -> {
          throw failure;
        });
    return this;
  }

  @Override
  public Resolution resolve(String sessionId) {
    return answers
        .getOrDefault(
            sessionId, id -> new Resolution.Unknown("no such session in the test's table"))
        .apply(sessionId);
  }
}
