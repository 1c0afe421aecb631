package dev.kindling.worker.config;

import dev.kindling.host.HostPaths;
import dev.kindling.host.egress.Cidr;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.pool.PoolPolicy;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** Resolved configuration: flags over environment over file over defaults. Immutable. */
public final class KindlingConfig {
  /** Read when no {@code --config} is given and the file exists. */
  public static final Path DEFAULT_FILE = Path.of("/etc/kindling/kindling.properties");

  private final Map<Setting, String> values;
  private final Map<Setting, String> sources;

  private KindlingConfig(Map<Setting, String> values, Map<Setting, String> sources) {
    this.values = values;
    this.sources = sources;
  }

  public static KindlingConfig load(
      Path file, Map<String, String> env, Map<Setting, String> flags) {
    Properties fromFile = new Properties();
    Path chosen = file != null ? file : (Files.isReadable(DEFAULT_FILE) ? DEFAULT_FILE : null);
    if (chosen != null) {
      try (Reader reader = Files.newBufferedReader(chosen)) {
        fromFile.load(reader);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read configuration file " + chosen, e);
      }
      for (String key : fromFile.stringPropertyNames()) {
        if (Setting.ofKey(key) == null) {
          throw new InvalidInputException("config", "unknown setting '" + key + "' in " + chosen);
        }
      }
    }
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    Map<Setting, String> sources = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      if (flags.containsKey(s)) {
        values.put(s, flags.get(s));
        sources.put(s, "flag");
      } else if (env.containsKey(s.envName())) {
        values.put(s, env.get(s.envName()));
        sources.put(s, "env " + s.envName());
      } else if (fromFile.containsKey(s.key())) {
        values.put(s, fromFile.getProperty(s.key()));
        sources.put(s, "file " + chosen);
      } else {
        values.put(s, s.defaultValue());
        sources.put(s, "default");
      }
    }
    KindlingConfig config = new KindlingConfig(values, sources);
    config.validate();
    return config;
  }

  public static KindlingConfig defaults() {
    return load(null, Map.of(), Map.of());
  }

  public KindlingConfig with(Setting setting, String value) {
    Map<Setting, String> copy = new EnumMap<>(values);
    Map<Setting, String> src = new EnumMap<>(sources);
    copy.put(setting, value);
    src.put(setting, "override");
    KindlingConfig config = new KindlingConfig(copy, src);
    config.validate();
    return config;
  }

  private void validate() {
    hostId();
    intValue(Setting.PROXY_PORT, 0, 65535);
    proxyPublicUrl();
    intValue(Setting.HOST_LOST_AFTER_SECONDS, 10, 86_400);
    intValue(Setting.PROXY_MAX_CONNECTIONS, 0, Integer.MAX_VALUE);
    intValue(Setting.PROXY_METRICS_PORT, -1, 65535);
    intValue(Setting.TEMPORAL_UI_PORT, -1, 65535);
    intValue(Setting.WORKER_METRICS_PORT, -1, 65535);
    oneOf(Setting.TEMPORAL_EPHEMERAL, "true", "false");
    oneOf(Setting.PROXY_REUSE_PORT, "true", "false");
    intValue(Setting.WORKFLOW_CACHE, 0, 100_000);
    Validation.templateId(get(Setting.DEFAULT_TEMPLATE));
    intValue(Setting.READINESS_TIMEOUT_SECONDS, 1, 3600);
    oneOf(Setting.ACCELERATOR, "auto", "kvm", "tcg");
    oneOf(Setting.MACHINE, "microvm", "pc");
    oneOf(Setting.VMM, "qemu", "firecracker");
    oneOf(Setting.PROXY_CONTROL_POLICY, "take-over", "take-over-and-close", "refuse");
    intValue(Setting.PROXY_ACTIVITY_REPORT_SECONDS, 1, 3600);
    intValue(Setting.EGRESS_MAX_CONNECTIONS, 1, 100_000);
    intValue(Setting.EGRESS_IDLE_SECONDS, 1, 86_400);
    egressMaxBytes();
    egressAllowRanges();
    poolTargets();
    intValue(Setting.HOST_VM_SLOTS, 0, 100_000);
    oneOf(Setting.PRODUCTION, "true", "false");
    if (production() && get(Setting.TOKEN_KEY).isBlank()) {
      throw new InvalidInputException(
          Setting.TOKEN_KEY.key(),
          "production mode needs a token key (" + Setting.TOKEN_KEY.envName() + ")");
    }
  }

  public String get(Setting setting) {
    return values.get(setting);
  }

  public String source(Setting setting) {
    return sources.get(setting);
  }

  public String temporalTarget() {
    return get(Setting.TEMPORAL_TARGET);
  }

  public String temporalNamespace() {
    return get(Setting.TEMPORAL_NAMESPACE);
  }

  public String hostId() {
    String id = get(Setting.HOST_ID);
    return Validation.hostId(id.isBlank() ? defaultHostId() : id);
  }

  /** Where browsers reach this host's proxy: {@code proxy.publicUrl}, else its bind address. */
  public String proxyPublicUrl() {
    String url = get(Setting.PROXY_PUBLIC_URL).strip();
    if (url.isEmpty()) {
      String bind = get(Setting.PROXY_BIND);
      return "http://"
          + (bind.contains(":") ? "[" + bind + "]" : bind)
          + ":"
          + get(Setting.PROXY_PORT);
    }
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      throw new InvalidInputException(Setting.PROXY_PUBLIC_URL.key(), "'" + url + "' is not a URL");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null
        || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))
        || uri.getQuery() != null
        || uri.getFragment() != null) {
      throw new InvalidInputException(
          Setting.PROXY_PUBLIC_URL.key(),
          "'" + url + "' is not an http or https URL with a host and no path");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** {@code cache.dir} (else $XDG_CACHE_HOME/kindling or ~/.cache/kindling) and {@code run.dir}. */
  public HostPaths paths() {
    Path cache =
        get(Setting.CACHE_DIR).isBlank()
            ? HostPaths.defaultCacheDir(System.getenv())
            : Path.of(get(Setting.CACHE_DIR)).toAbsolutePath();
    return new HostPaths(cache, Path.of(get(Setting.RUN_DIR)).toAbsolutePath());
  }

  /**
   * Where the dev server keeps its state: {@code temporal.stateDir}, else $XDG_STATE_HOME/kindling
   * or ~/.local/state/kindling.
   */
  public Path temporalStateDir() {
    String configured = get(Setting.TEMPORAL_STATE_DIR);
    if (!configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    String xdg = System.getenv("XDG_STATE_HOME");
    return (xdg != null && !xdg.isBlank()
            ? Path.of(xdg, "kindling")
            : Path.of(System.getProperty("user.home"), ".local", "state", "kindling"))
        .toAbsolutePath();
  }

  /** The operator's template directories. */
  public Path templatesDir() {
    return Path.of(get(Setting.TEMPLATES_DIR)).toAbsolutePath();
  }

  public String defaultTemplate() {
    return get(Setting.DEFAULT_TEMPLATE);
  }

  public int intValue(Setting setting) {
    return Integer.parseInt(get(setting));
  }

  /** The ranges the egress proxy may reach although its deny-list holds them. */
  public List<Cidr> egressAllowRanges() {
    return list(Setting.EGRESS_ALLOW_RANGES).stream()
        .map(
            range -> {
              try {
                return Cidr.parse(range);
              } catch (IllegalArgumentException e) {
                throw new InvalidInputException(
                    Setting.EGRESS_ALLOW_RANGES.key(), e.getMessage() + " (want CIDR ranges)");
              }
            })
        .toList();
  }

  /** The pool targets this host's settings give, by template; templates not named keep theirs. */
  public Map<String, Integer> poolTargets() {
    Map<String, Integer> targets = new java.util.TreeMap<>();
    for (String entry : list(Setting.POOL_TARGETS)) {
      int equals = entry.indexOf('=');
      String template = equals < 0 ? entry : entry.substring(0, equals).strip();
      try {
        Validation.templateId(template);
        int target = Integer.parseInt(entry.substring(equals + 1).strip());
        new PoolPolicy(target, 0, 0).validated();
        targets.put(template, target);
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        throw new InvalidInputException(
            Setting.POOL_TARGETS.key(),
            "'"
                + entry
                + "' is not template=count with a count between 0 and "
                + PoolPolicy.MAX_TARGET);
      }
    }
    return targets;
  }

  /** Bytes one VM may move through the egress proxy; 0 for no limit. */
  public long egressMaxBytes() {
    try {
      long value = Long.parseLong(get(Setting.EGRESS_MAX_BYTES).strip());
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // Told below.
    }
    throw new InvalidInputException(
        Setting.EGRESS_MAX_BYTES.key(),
        "'" + get(Setting.EGRESS_MAX_BYTES) + "' is not 0 (no limit) or a number of bytes");
  }

  public boolean production() {
    return Boolean.parseBoolean(get(Setting.PRODUCTION));
  }

  public List<String> list(Setting setting) {
    return Arrays.stream(get(setting).split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private int intValue(Setting setting, int min, int max) {
    try {
      int value = Integer.parseInt(get(setting).strip());
      if (value < min || value > max) {
        throw new InvalidInputException(setting.key(), value + " is outside " + min + ".." + max);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          setting.key(), "'" + get(setting) + "' is not a whole number");
    }
  }

  private void oneOf(Setting setting, String... allowed) {
    String value = get(setting).toLowerCase(Locale.ROOT);
    if (!Arrays.asList(allowed).contains(value)) {
      throw new InvalidInputException(
          setting.key(), "'" + get(setting) + "' is not one of " + String.join(", ", allowed));
    }
  }

  static String defaultHostId() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      name = "local";
    }
    String clean =
        name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+", "");
    if (clean.isEmpty()) {
      clean = "local";
    }
    return clean.length() > 32 ? clean.substring(0, 32) : clean;
  }
}
