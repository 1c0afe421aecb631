package dev.kindling.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kindling.host.images.ImageFiles;
import dev.kindling.host.images.Manifest;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressRule;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.pool.PoolPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A checked template: its recipe and the guest files it adds to Kindling's base image, including
 * the ones made from the recipe ({@code /etc/kindling/app.json}, the app unit's restart policy, the
 * screen size). Everything here is part of the template's image id.
 */
public final class Template {
  /**
   * Where a template may put files: its own program and data directories and the app user's home.
   */
  public static final List<String> ALLOWED_TARGET_ROOTS =
      List.of(
          "usr/local/share/",
          "usr/local/bin/",
          "opt/",
          "home/kindling/",
          "etc/chromium/policies/managed/");

  /** The unprivileged guest user the app runs as. */
  public static final String USER = "kindling";

  public static final int USER_ID = 1000;
  public static final String HOME = "/home/kindling";

  /**
   * A template's guest size when its recipe names none: the one a host boots an image with whose
   * manifest names none.
   */
  public static final int DEFAULT_MEMORY_MIB = ImageFiles.DEFAULT_MEMORY_MIB;

  public static final int DEFAULT_VCPUS = ImageFiles.DEFAULT_VCPUS;
  public static final long DEFAULT_POOL_MAX_AGE_SECONDS = 3600;
  public static final int DEFAULT_WIDTH = 1280;
  public static final int DEFAULT_HEIGHT = 800;

  /** The environment variable the app launcher sets to the session's URL. */
  public static final String URL_ENV = "KINDLING_LAUNCH_URL";

  static final String APP_CONFIG = "etc/kindling/app.json";
  static final String APP_RESTART_DROP_IN =
      "etc/systemd/system/kindling-app.service.d/on-exit.conf";
  static final String SCREEN_ENV = "etc/kindling/screen.env";

  private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern MODE = Pattern.compile("0?[0-7]{3}");

  /**
   * Every program in the guest reaches the outside only through the host's egress proxy (when the
   * session allows egress). Loopback (the agent's start page) and the tap's host address (only
   * Kindling's own listeners in the VM's namespace answer there) are reached directly.
   */
  private static final String NO_PROXY = "localhost,127.0.0.1,::1," + GuestNetwork.HOST_ADDRESS;

  static final Map<String, String> PROXY_ENV =
      Map.of(
          "http_proxy", GuestNetwork.EGRESS_PROXY_URL,
          "https_proxy", GuestNetwork.EGRESS_PROXY_URL,
          "HTTP_PROXY", GuestNetwork.EGRESS_PROXY_URL,
          "HTTPS_PROXY", GuestNetwork.EGRESS_PROXY_URL,
          "no_proxy", NO_PROXY,
          "NO_PROXY", NO_PROXY);

  private static final Set<String> RESERVED_ENV = reservedEnvironment();
  private static final int MAX_PACKAGES = 64;
  private static final int MAX_FILES = 256;
  private static final int MAX_ARGV = 64;
  private static final int MAX_VALUE_CHARS = 4096;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  private static Set<String> reservedEnvironment() {
    Set<String> names = new HashSet<>(PROXY_ENV.keySet());
    names.addAll(List.of("DISPLAY", "HOME", "USER", "LOGNAME", URL_ENV));
    return Set.copyOf(names);
  }

  /** Reads a file of the template directory by its relative path. */
  @FunctionalInterface
  public interface Sources {
    byte[] read(String relativePath) throws IOException;
  }

  private final TemplateRecipe recipe;
  private final String origin;
  private final List<GuestFile> guestFiles;
  private final int memoryMib;
  private final int vcpus;
  private final int width;
  private final int height;
  private final List<String> egress;

  private Template(
      TemplateRecipe recipe,
      String origin,
      List<GuestFile> guestFiles,
      int memoryMib,
      int vcpus,
      int width,
      int height,
      List<String> egress) {
    this.recipe = recipe;
    this.origin = origin;
    this.guestFiles = List.copyOf(guestFiles);
    this.memoryMib = memoryMib;
    this.vcpus = vcpus;
    this.width = width;
    this.height = height;
    this.egress = List.copyOf(egress);
  }

  /**
   * Checks every value of {@code recipe} and reads its files through {@code sources}.
   *
   * @param origin where the recipe came from, for messages
   * @throws InvalidTemplateException naming the first field that is wrong
   */
  public static Template of(TemplateRecipe recipe, String origin, Sources sources) {
    Checker check = new Checker(recipe.id());
    check.require(recipe.id() != null, "id", "is required");
    check.require(
        recipe.id().matches("[a-z][a-z0-9-]{0,31}"),
        "id",
        "'"
            + recipe.id()
            + "' is not valid: 1-32 lowercase letters, digits or '-', starting with a letter");
    check.require(
        recipe.description() == null || recipe.description().length() <= 200,
        "description",
        "at most 200 characters");

    List<String> packages = recipe.packages() == null ? List.of() : recipe.packages();
    check.require(
        packages.size() <= MAX_PACKAGES, "packages", "at most " + MAX_PACKAGES + " packages");
    for (int i = 0; i < packages.size(); i++) {
      String name = packages.get(i);
      check.require(
          name != null && PACKAGE.matcher(name).matches(),
          "packages[" + i + "]",
          "'" + name + "' is not a Debian package name");
    }

    List<GuestFile> files = new ArrayList<>();
    List<TemplateRecipe.FileEntry> entries = recipe.files() == null ? List.of() : recipe.files();
    check.require(entries.size() <= MAX_FILES, "files", "at most " + MAX_FILES + " files");
    Set<String> targets = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      files.add(file(check, "files[" + i + "]", entries.get(i), sources, targets));
    }

    TemplateRecipe.App app = recipe.app();
    check.require(app != null, "app", "is required");
    List<String> argv = app.argv();
    check.require(
        argv != null && !argv.isEmpty(), "app.argv", "is required: the program and its arguments");
    check.require(argv.size() <= MAX_ARGV, "app.argv", "at most " + MAX_ARGV + " entries");
    for (int i = 0; i < argv.size(); i++) {
      String arg = argv.get(i);
      check.require(
          arg != null && (i > 0 || !arg.isBlank()),
          "app.argv[" + i + "]",
          "must be a non-empty string");
      check.require(
          arg.length() <= MAX_VALUE_CHARS && arg.chars().noneMatch(c -> c == 0 || c == '\n'),
          "app.argv[" + i + "]",
          "at most " + MAX_VALUE_CHARS + " characters, no NUL or newline");
    }
    Map<String, String> environment = new TreeMap<>();
    if (app.environment() != null) {
      for (Map.Entry<String, String> variable : app.environment().entrySet()) {
        String field = "app.environment." + variable.getKey();
        check.require(
            ENV_NAME.matcher(variable.getKey()).matches(), field, "is not a variable name");
        check.require(!RESERVED_ENV.contains(variable.getKey()), field, "is set by Kindling");
        String value = variable.getValue();
        check.require(
            value != null
                && value.length() <= MAX_VALUE_CHARS
                && value.chars().noneMatch(c -> c == 0),
            field,
            "must be a string of at most " + MAX_VALUE_CHARS + " characters without NUL");
        environment.put(variable.getKey(), value);
      }
    }
    String workingDirectory = app.workingDirectory() == null ? HOME : app.workingDirectory();
    check.require(
        workingDirectory.startsWith("/")
            && !hasDotDot(workingDirectory)
            && workingDirectory.chars().noneMatch(Character::isISOControl),
        "app.workingDirectory",
        "must be an absolute guest path without '..'");
    TemplateRecipe.OnExit onExit =
        app.onExit() == null ? TemplateRecipe.OnExit.RESTART : app.onExit();
    TemplateRecipe.Window window = app.window();
    check.require(
        window != null && (window.wmClass() != null || window.title() != null),
        "app.window",
        "is required: a wmClass and/or title pattern the app's window matches");
    check.pattern("app.window.wmClass", window.wmClass());
    check.pattern("app.window.title", window.title());

    TemplateRecipe.Defaults defaults = recipe.defaults();
    int memory =
        defaults == null || defaults.memoryMib() == null
            ? DEFAULT_MEMORY_MIB
            : defaults.memoryMib();
    int cpus = defaults == null || defaults.vcpus() == null ? DEFAULT_VCPUS : defaults.vcpus();
    check.require(
        memory >= 256 && memory <= 16384,
        "defaults.memoryMib",
        "must be between 256 and 16384, was " + memory);
    check.require(
        cpus >= 1 && cpus <= 16, "defaults.vcpus", "must be between 1 and 16, was " + cpus);
    TemplateRecipe.Screen screen =
        defaults == null || defaults.screen() == null
            ? new TemplateRecipe.Screen(DEFAULT_WIDTH, DEFAULT_HEIGHT)
            : defaults.screen();
    check.require(
        screen.width() >= 640 && screen.width() <= 3840 && screen.width() % 8 == 0,
        "defaults.screen.width",
        "must be a multiple of 8 between 640 and 3840, was " + screen.width());
    check.require(
        screen.height() >= 480 && screen.height() <= 2160,
        "defaults.screen.height",
        "must be between 480 and 2160, was " + screen.height());

    List<String> egress = List.of();
    if (defaults != null && defaults.egress() != null) {
      try {
        egress =
            EgressPolicy.parse(defaults.egress()).rules().stream()
                .map(EgressRule::toString)
                .toList();
      } catch (InvalidInputException e) {
        check.require(false, "defaults.egress", e.getMessage());
      }
    }
    environment.putAll(PROXY_ENV);

    Map<String, Object> appConfig = new LinkedHashMap<>();
    appConfig.put("template", recipe.id());
    appConfig.put("argv", argv);
    appConfig.put("environment", environment);
    appConfig.put("workingDirectory", workingDirectory);
    appConfig.put("onExit", onExit.name().toLowerCase(java.util.Locale.ROOT));
    Map<String, String> windowConfig = new LinkedHashMap<>();
    windowConfig.put("wmClass", window.wmClass());
    windowConfig.put("title", window.title());
    appConfig.put("window", windowConfig);
    appConfig.put("launch", Map.of("urlEnv", URL_ENV));
    files.add(new GuestFile(APP_CONFIG, 0644, json(appConfig)));
    files.add(
        new GuestFile(
            APP_RESTART_DROP_IN,
            0644,
            ("# Made from the template's app.onExit.\n[Service]\nRestart="
                    + (onExit == TemplateRecipe.OnExit.RESTART ? "always" : "no")
                    + "\n")
                .getBytes(StandardCharsets.UTF_8)));
    files.add(
        new GuestFile(
            SCREEN_ENV,
            0644,
            ("KINDLING_SCREEN=" + screen.width() + "x" + screen.height() + "x24\n")
                .getBytes(StandardCharsets.UTF_8)));
    try {
      poolPolicy(recipe.pool()).validated();
    } catch (InvalidInputException e) {
      check.require(false, e.field(), e.getMessage().substring(e.field().length() + 2));
    }
    return new Template(
        recipe, origin, files, memory, cpus, screen.width(), screen.height(), egress);
  }

  private static GuestFile file(
      Checker check,
      String field,
      TemplateRecipe.FileEntry entry,
      Sources sources,
      Set<String> targets) {
    check.require(entry != null, field, "must be an object with source, target and mode");
    String source = entry.source();
    check.require(source != null && !source.isBlank(), field + ".source", "is required");
    check.require(
        !source.startsWith("/") && !hasDotDot(source) && !source.contains("\\"),
        field + ".source",
        "'" + source + "' must be a relative path inside the template directory, without '..'");
    String target = entry.target();
    check.require(target != null && !target.isBlank(), field + ".target", "is required");
    check.require(
        !target.startsWith("/"),
        field + ".target",
        "'"
            + target
            + "' must be relative to the guest's root (e.g. usr/local/share/app/x), not absolute");
    check.require(
        !hasDotDot(target)
            && !target.contains("\\")
            && !target.contains("//")
            && !target.endsWith("/")
            && target.chars().noneMatch(Character::isISOControl),
        field + ".target",
        "'" + target + "' must be a file path without '..'");
    check.require(
        ALLOWED_TARGET_ROOTS.stream().anyMatch(target::startsWith),
        field + ".target",
        "'" + target + "' is not under an allowed guest root " + ALLOWED_TARGET_ROOTS);
    check.require(targets.add(target), field + ".target", "'" + target + "' is given twice");
    String mode = entry.mode();
    check.require(
        mode != null && MODE.matcher(mode).matches(),
        field + ".mode",
        "'"
            + mode
            + "' must be octal permission bits like \"0644\" or \"0755\" (no setuid, setgid or sticky bits)");
    byte[] content;
    try {
      content = sources.read(source);
    } catch (NoSuchFileException e) {
      throw new InvalidTemplateException(
          check.template, field + ".source", "'" + source + "' does not exist in the template");
    } catch (IOException e) {
      throw new InvalidTemplateException(
          check.template, field + ".source", "cannot read '" + source + "': " + e.getMessage());
    }
    return new GuestFile(target, Integer.parseInt(mode, 8), content);
  }

  private static boolean hasDotDot(String path) {
    for (String segment : path.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        return true;
      }
    }
    return false;
  }

  /** The guest size and screen an image built from this template records in its manifest. */
  public Manifest.Defaults manifestDefaults() {
    return new Manifest.Defaults(memoryMib, vcpus, screenWidth(), screenHeight(), egress);
  }

  /** How many ready VMs of this template a host keeps (recipe's {@code pool}; none by default). */
  public PoolPolicy poolPolicy() {
    return poolPolicy(recipe.pool());
  }

  private static PoolPolicy poolPolicy(TemplateRecipe.Pool pool) {
    if (pool == null) {
      return new PoolPolicy(0, DEFAULT_POOL_MAX_AGE_SECONDS, 0);
    }
    return new PoolPolicy(
        pool.target() == null ? 0 : pool.target(),
        pool.maxAgeSeconds() == null ? DEFAULT_POOL_MAX_AGE_SECONDS : pool.maxAgeSeconds(),
        pool.maxMemoryMib() == null ? 0 : pool.maxMemoryMib());
  }

  /** What a session of this template may reach when it names nothing itself (canonical entries). */
  public List<String> egress() {
    return egress;
  }

  private static byte[] json(Object value) {
    try {
      return (JSON.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String id() {
    return recipe.id();
  }

  public String description() {
    return recipe.description() == null ? "" : recipe.description();
  }

  public String origin() {
    return origin;
  }

  /**
   * Debian packages on top of the base image, in the recipe's order (so an error can name the
   * entry); hashes sort them.
   */
  public List<String> packages() {
    return recipe.packages() == null ? List.of() : recipe.packages().stream().distinct().toList();
  }

  /** The template's files and the ones made from its recipe. */
  public List<GuestFile> guestFiles() {
    return guestFiles;
  }

  public int memoryMib() {
    return memoryMib;
  }

  public int vcpus() {
    return vcpus;
  }

  public int screenWidth() {
    return width;
  }

  public int screenHeight() {
    return height;
  }

  public TemplateRecipe recipe() {
    return recipe;
  }

  @Override
  public String toString() {
    return "Template[" + recipe.id() + " from " + origin + "]";
  }

  /** Throws the first failed check as an {@link InvalidTemplateException}. */
  private record Checker(String template) {
    void require(boolean ok, String field, String message) {
      if (!ok) {
        throw new InvalidTemplateException(template, field, message);
      }
    }

    void pattern(String field, String regex) {
      if (regex == null) {
        return;
      }
      require(
          !regex.isEmpty() && regex.length() <= 200,
          field,
          "must be a regular expression of 1-200 characters");
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new InvalidTemplateException(
            template, field, "is not a regular expression: " + e.getDescription());
      }
    }
  }
}
