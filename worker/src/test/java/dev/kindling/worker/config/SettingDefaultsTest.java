package dev.kindling.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kindling.activities.image.VerifySettings;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.host.HostPaths;
import dev.kindling.proxy.ProxyConfig;
import dev.kindling.snapshot.Templates;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The modules below the worker cannot see {@link Setting}; where they have defaults of their own
 * (for tests, benchmarks and library use), those are the settings' defaults, so that a value does
 * not depend on who built the object.
 */
class SettingDefaultsTest {

  @Test
  void qemuDefaultsAreTheVmmSettings() {
    QemuConfig qemu = QemuConfig.defaults();
    assertEquals(Setting.MACHINE.defaultValue(), qemu.machine().label());
    assertEquals(Setting.ACCELERATOR.defaultValue(), qemu.accel());
  }

  @Test
  void hostPathsWithoutConfigurationUseTheRunDirSetting() {
    assertEquals(Path.of(Setting.RUN_DIR.defaultValue()), HostPaths.from(Map.of()).runDir());
    assertEquals(
        HostPaths.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/xdg")),
        HostPaths.from(Map.of("XDG_CACHE_HOME", "/xdg")).cacheDir());
    assertEquals(
        Path.of("/xdg/kindling"), HostPaths.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/xdg")));
  }

  @Test
  void templateAndReadinessDefaultsAreTheSettings() {
    assertEquals(Setting.DEFAULT_TEMPLATE.defaultValue(), Templates.DEFAULT);
    assertEquals(
        Long.parseLong(Setting.READINESS_TIMEOUT_SECONDS.defaultValue()),
        VerifySettings.defaults().readinessTimeout().toSeconds());
  }

  @Test
  void proxyDefaultsAreTheProxySettings() {
    ProxyConfig proxy = ProxyConfig.builder().build();
    assertEquals(Setting.PROXY_BIND.defaultValue(), proxy.bindHost());
    assertEquals(Integer.parseInt(Setting.PROXY_PORT.defaultValue()), proxy.port());
    assertEquals(Boolean.parseBoolean(Setting.PROXY_REUSE_PORT.defaultValue()), proxy.reusePort());
    assertEquals(Integer.parseInt(Setting.PROXY_METRICS_PORT.defaultValue()), proxy.metricsPort());
    assertEquals(
        Integer.parseInt(Setting.PROXY_MAX_CONNECTIONS.defaultValue()), proxy.maxConnections());
    assertEquals(Setting.PROXY_ORIGINS.defaultValue(), String.join(",", proxy.allowedOrigins()));
    assertEquals(Boolean.parseBoolean(Setting.PRODUCTION.defaultValue()), proxy.productionMode());
  }
}
