package dev.kindling.proxy;

import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code /healthz} (200 while serving, 503 while shutting down) and Prometheus {@code /metrics}.
 */
final class StatusHandler extends Handler.Abstract {
  private final ProxyMetrics metrics;
  private final BooleanSupplier serving;

  StatusHandler(ProxyMetrics metrics, BooleanSupplier serving) {
    super(InvocationType.NON_BLOCKING);
    this.metrics = metrics;
    this.serving = serving;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    if (!HttpMethod.GET.is(request.getMethod())) {
      return false;
    }
    switch (Request.getPathInContext(request)) {
      case "/healthz" -> {
        boolean up = serving.getAsBoolean();
        HttpReplies.text(
            response,
            callback,
            up ? 200 : 503,
            "text/plain; charset=utf-8",
            up ? "ok\n" : "shutting down\n");
        return true;
      }
      case "/metrics" -> {
        HttpReplies.text(response, callback, 200, ProxyMetrics.CONTENT_TYPE, metrics.scrape());
        return true;
      }
      default -> {
        return false;
      }
    }
  }
}
