package dev.kindling.snapshot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds and reads templates: the built-in ones shipped in this jar ({@code templates/<id>/}), and
 * template directories of the operator's (a directory holding {@code template.json} and the files
 * it names). A directory under the host's templates directory with a built-in's id replaces it.
 */
public final class Templates {
  public static final String RECIPE = "template.json";

  /** The template a session gets when it names none. */
  public static final String DEFAULT = "terminal";

  public static final List<String> BUILT_IN = List.of("terminal", "browser");
  private static final String RESOURCE_ROOT = "templates/";
  private static final int MAX_FILE_BYTES = 64 * 1024 * 1024;

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  static {
    // A number where a string belongs ("mode": 644) is refused too, not read as "644".
    STRICT
        .coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Textual)
        .setCoercion(
            com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer,
            com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
        .setCoercion(
            com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
            com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
        .setCoercion(
            com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean,
            com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
  }

  private Templates() {}

  /**
   * Every template id a host can use, sorted: the built-in ones and each directory of {@code
   * templatesDir} (which may be null or missing) that holds a recipe.
   */
  public static java.util.SortedSet<String> ids(Path templatesDir) {
    java.util.SortedSet<String> ids = new java.util.TreeSet<>(BUILT_IN);
    if (templatesDir == null || !Files.isDirectory(templatesDir)) {
      return ids;
    }
    try (java.util.stream.Stream<Path> entries = Files.list(templatesDir)) {
      entries
          .filter(dir -> Files.isRegularFile(dir.resolve(RECIPE)))
          .forEach(dir -> ids.add(dir.getFileName().toString()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + templatesDir, e);
    }
    return ids;
  }

  /**
   * For the command line: a template id or a template directory. A value containing '/' or naming
   * an existing directory is read as a directory; otherwise as an id ({@link #byId}).
   */
  public static Template resolve(String idOrDirectory, Path templatesDir) {
    String value = idOrDirectory == null ? DEFAULT : idOrDirectory;
    if (value.contains("/") || Files.isDirectory(Path.of(value))) {
      return fromDirectory(Path.of(value));
    }
    return byId(value, templatesDir);
  }

  /**
   * A template by id, never a path (what a request through Temporal may name): {@code
   * templatesDir/<id>} when it exists, else the built-in template of that id.
   */
  public static Template byId(String id, Path templatesDir) {
    String value = id == null ? DEFAULT : id;
    if (!value.matches("[a-z][a-z0-9-]{0,31}")) {
      throw new InvalidTemplateException(
          value, "template", "'" + value + "' is neither a template id nor a directory");
    }
    if (templatesDir != null && Files.isRegularFile(templatesDir.resolve(value).resolve(RECIPE))) {
      Template template = fromDirectory(templatesDir.resolve(value));
      requireId(template, value, templatesDir.resolve(value).toString());
      return template;
    }
    if (BUILT_IN.contains(value)) {
      return builtIn(value);
    }
    throw new InvalidTemplateException(
        value,
        "template",
        "no template '"
            + value
            + "': the built-in ones are "
            + BUILT_IN
            + (templatesDir == null
                ? ""
                : ", and " + templatesDir + " has no " + value + "/" + RECIPE));
  }

  /** A built-in template, read from this jar. */
  public static Template builtIn(String id) {
    if (!BUILT_IN.contains(id)) {
      throw new InvalidTemplateException(
          id, "template", "no built-in template '" + id + "' (built-in: " + BUILT_IN + ")");
    }
    String root = RESOURCE_ROOT + id + "/";
    byte[] recipe;
    try {
      recipe = resource(root + RECIPE);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException(
          "the built-in template " + id + " is missing from the jar", e);
    }
    Template template = parse(recipe, "built-in " + id, relative -> resource(root + relative));
    requireId(template, id, "built-in " + id);
    return template;
  }

  /**
   * A template directory: {@code template.json} and the files it names, which must lie inside the
   * directory.
   */
  public static Template fromDirectory(Path dir) {
    Path root;
    try {
      root = dir.toRealPath();
    } catch (IOException e) {
      throw new InvalidTemplateException(null, "template", "no template directory " + dir);
    }
    Path recipe = root.resolve(RECIPE);
    if (!Files.isRegularFile(recipe)) {
      throw new InvalidTemplateException(null, "template", dir + " has no " + RECIPE);
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(recipe);
    } catch (IOException e) {
      throw new InvalidTemplateException(
          null, "template", "cannot read " + recipe + ": " + e.getMessage());
    }
    Template template =
        parse(
            bytes,
            root.toString(),
            relative -> {
              Path file = root.resolve(relative).normalize();
              // Symbolic links are followed only when they stay inside the template directory.
              if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)
                  || !file.toRealPath().startsWith(root)
                  || !Files.isRegularFile(file)) {
                throw new NoSuchFileException(relative);
              }
              if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
              }
              return Files.readAllBytes(file);
            });
    return template;
  }

  /**
   * Reads and checks a recipe; every problem is an {@link InvalidTemplateException} naming its
   * field.
   */
  public static Template parse(byte[] json, String origin, Template.Sources sources) {
    TemplateRecipe recipe;
    try {
      recipe = STRICT.readValue(json, TemplateRecipe.class);
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidTemplateException(
          null,
          path(e, e.getPropertyName()),
          "unknown key (known: "
              + e.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", "))
              + ")");
    } catch (JsonMappingException e) {
      throw new InvalidTemplateException(
          null, path(e, null), e.getOriginalMessage().lines().findFirst().orElse("invalid value"));
    } catch (JsonProcessingException e) {
      throw new InvalidTemplateException(
          null, RECIPE, "is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidTemplateException(null, RECIPE, "cannot be read: " + e.getMessage());
    }
    if (recipe == null) {
      throw new InvalidTemplateException(null, RECIPE, "is empty");
    }
    return Template.of(recipe, origin, sources);
  }

  private static void requireId(Template template, String id, String origin) {
    if (!template.id().equals(id)) {
      throw new InvalidTemplateException(template.id(), "id", "must be '" + id + "' for " + origin);
    }
  }

  private static String path(JsonMappingException e, String leaf) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    if (path.isEmpty()) {
      return leaf == null ? RECIPE : leaf;
    }
    return path.toString();
  }

  private static byte[] resource(String name) throws NoSuchFileException {
    try (InputStream in = Templates.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new NoSuchFileException(name);
      }
      return in.readAllBytes();
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
