package dev.kindling.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KindlingConfigTest {

  @Test
  void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("kindling.properties");
    Files.writeString(
        file, "temporal.target=file:1\ntemporal.namespace=from-file\nproxy.port=7000\n");
    KindlingConfig config =
        KindlingConfig.load(
            file,
            Map.of("KINDLING_TEMPORAL_TARGET", "env:2", "KINDLING_PROXY_PORT", "7100"),
            Map.of(Setting.PROXY_PORT, "7200"));

    assertEquals("env:2", config.temporalTarget());
    assertEquals("from-file", config.temporalNamespace());
    assertEquals(7200, config.intValue(Setting.PROXY_PORT));
    assertEquals("flag", config.source(Setting.PROXY_PORT));
    assertEquals("/run/kindling", config.get(Setting.RUN_DIR));
  }

  @Test
  void environmentNamesFollowTheKeys() {
    assertEquals("KINDLING_TEMPORAL_TARGET", Setting.TEMPORAL_TARGET.envName());
    assertEquals(
        "KINDLING_VM_READINESS_TIMEOUT_SECONDS", Setting.READINESS_TIMEOUT_SECONDS.envName());
    assertEquals("KINDLING_PROXY_ALLOWED_ORIGINS", Setting.PROXY_ORIGINS.envName());
    assertEquals("KINDLING_DEBIAN_MIRROR", Setting.DEBIAN_MIRROR.envName());
  }

  @Test
  void unknownKeysAndBadValuesAreRefusedWithTheSettingNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "temporal.traget=x\n");
    InvalidInputException unknown =
        assertThrows(
            InvalidInputException.class, () -> KindlingConfig.load(file, Map.of(), Map.of()));
    assertTrue(unknown.getMessage().contains("temporal.traget"));

    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of("KINDLING_VMM_ACCELERATOR", "hvf"), Map.of()));
    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of(), Map.of(Setting.PROXY_PORT, "70000")));
    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of(), Map.of(Setting.HOST_ID, "Bad Host/1")));
    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of(), Map.of(Setting.PROXY_MAX_CONNECTIONS, "-1")));
    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of("KINDLING_PROXY_REUSE_PORT", "yes"), Map.of()));
    assertThrows(
        InvalidInputException.class,
        () -> KindlingConfig.load(null, Map.of("KINDLING_PROXY_METRICS_PORT", "-2"), Map.of()));
  }

  @Test
  void poolTargetsAreTemplateCountPairsAndBadOnesAreRefusedAtLoad() {
    KindlingConfig config =
        KindlingConfig.load(
            null, Map.of(), Map.of(Setting.POOL_TARGETS, " terminal=2, browser = 0 "));
    assertEquals(Map.of("terminal", 2, "browser", 0), config.poolTargets());
    for (String bad : List.of("terminal", "terminal=x", "terminal=33", "Bad Id=1", "=1")) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> KindlingConfig.load(null, Map.of(), Map.of(Setting.POOL_TARGETS, bad)),
              bad);
      assertEquals(Setting.POOL_TARGETS.key(), e.field(), bad);
    }
  }

  @Test
  void productionModeNeedsATokenKey() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> KindlingConfig.load(null, Map.of("KINDLING_PRODUCTION", "true"), Map.of()));
    assertTrue(e.getMessage().contains("KINDLING_PROXY_TOKEN_KEY"));
    KindlingConfig ok =
        KindlingConfig.load(
            null, Map.of("KINDLING_PRODUCTION", "true", "KINDLING_PROXY_TOKEN_KEY", "k"), Map.of());
    assertTrue(ok.production());
  }

  @Test
  void theProxysPublicUrlDefaultsToItsBindAddressAndMustBeAnOriginWithoutPath() {
    KindlingConfig config = KindlingConfig.defaults();
    assertEquals("http://127.0.0.1:6090", config.proxyPublicUrl());
    assertEquals(
        "http://[::1]:7000",
        config.with(Setting.PROXY_BIND, "::1").with(Setting.PROXY_PORT, "7000").proxyPublicUrl());
    assertEquals(
        "https://vm-3.example.com",
        config.with(Setting.PROXY_PUBLIC_URL, "https://vm-3.example.com/").proxyPublicUrl());
    for (String bad :
        List.of(
            "vm-3.example.com",
            "ftp://vm-3",
            "https://vm-3/sessions",
            "https://vm 3",
            "https://vm-3/?a")) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> KindlingConfig.load(null, Map.of("KINDLING_PROXY_PUBLIC_URL", bad), Map.of()),
              bad);
      assertEquals("proxy.publicUrl", e.field(), bad);
    }
  }

  @Test
  void templatesDefaultToTheBuiltInTerminalAndTheOperatorsDirectory(@TempDir Path dir) {
    KindlingConfig defaults = KindlingConfig.defaults();
    assertEquals("terminal", defaults.defaultTemplate());
    assertEquals(Path.of("/etc/kindling/templates"), defaults.templatesDir());
    assertEquals("KINDLING_TEMPLATE_DEFAULT", Setting.DEFAULT_TEMPLATE.envName());
    assertEquals("KINDLING_TEMPLATES_DIR", Setting.TEMPLATES_DIR.envName());

    KindlingConfig configured =
        KindlingConfig.load(
            null,
            Map.of(
                "KINDLING_TEMPLATE_DEFAULT", "browser", "KINDLING_TEMPLATES_DIR", dir.toString()),
            Map.of());
    assertEquals("browser", configured.defaultTemplate());
    assertEquals(dir.toAbsolutePath(), configured.templatesDir());
    assertTrue(configured.templatesDir().isAbsolute());
  }

  @Test
  void aDefaultTemplateThatIsNoTemplateIdIsRefused() {
    for (String bad : new String[] {"../browser", "Browser", "", "a b"}) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> KindlingConfig.load(null, Map.of(), Map.of(Setting.DEFAULT_TEMPLATE, bad)),
              bad);
      assertTrue(e.getMessage().contains("template"), e.getMessage());
    }
  }

  @Test
  void theGuestSizeIsNoLongerAHostSetting(@TempDir Path dir) throws Exception {
    // Memory and vCPUs come from each image's template now: a file still naming them is refused.
    Path file = dir.resolve("old.properties");
    Files.writeString(file, "vm.memoryMib=1024\n");
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> KindlingConfig.load(file, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("vm.memoryMib"), e.getMessage());
    assertEquals(null, Setting.ofKey("vm.vcpus"));
  }
}
