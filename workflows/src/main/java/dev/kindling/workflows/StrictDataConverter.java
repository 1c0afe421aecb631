package dev.kindling.workflows;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.kindling.workflows.image.ImageBuildRequest;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.common.converter.JacksonJsonPayloadConverter;
import io.temporal.payload.context.SerializationContext;
import java.lang.reflect.Type;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Temporal's default data converter, reading JSON strictly: a string where a number belongs, a
 * fraction or an overflowing number where a whole number belongs, or a value of the wrong shape is
 * an error, never a guess; so are an empty string for a number, a number for an enum or a string,
 * and a number with a decimal point for a whole number. A workflow's input that cannot be read
 * fails with a non-retryable {@code InvalidInput} failure naming the field, which fails the
 * workflow at once (the SDK would otherwise fail its workflow task and retry it forever). Any other
 * value (an update's argument, an activity's result) fails with {@link InvalidInputException},
 * which rejects an update and fails a workflow task (retried until a worker that reads it is
 * deployed).
 */
public final class StrictDataConverter implements DataConverter {
  public static final StrictDataConverter INSTANCE =
      new StrictDataConverter(
          DefaultDataConverter.newDefaultInstance()
              .withPayloadConverterOverrides(new JacksonJsonPayloadConverter(strictMapper())));

  /**
   * Workflow inputs: what a backend sends. An unreadable activity result is a bug to fix and
   * redeploy, not bad input.
   */
  private static final Set<Class<?>> WORKFLOW_INPUTS =
      Set.of(VmRequest.class, ImageBuildRequest.class);

  private final DataConverter delegate;

  private StrictDataConverter(DataConverter delegate) {
    this.delegate = delegate;
  }

  static ObjectMapper strictMapper() {
    ObjectMapper mapper = JacksonJsonPayloadConverter.newDefaultObjectMapper();
    mapper.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
    mapper.configure(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS, true);
    for (LogicalType scalar :
        new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
      mapper
          .coercionConfigFor(scalar)
          .setAcceptBlankAsEmpty(false)
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    }
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  @Override
  public <T> Optional<Payload> toPayload(T value) {
    return delegate.toPayload(value);
  }

  @Override
  public <T> T fromPayload(Payload payload, Class<T> valueClass, Type valueType) {
    try {
      return delegate.fromPayload(payload, valueClass, valueType);
    } catch (DataConverterException e) {
      throw unreadable(e, valueClass);
    }
  }

  @Override
  public Optional<Payloads> toPayloads(Object... values) {
    return delegate.toPayloads(values);
  }

  @Override
  public <T> T fromPayloads(
      int index, Optional<Payloads> content, Class<T> valueType, Type valueGenericType) {
    try {
      return delegate.fromPayloads(index, content, valueType, valueGenericType);
    } catch (DataConverterException e) {
      throw unreadable(e, valueType);
    }
  }

  @Override
  public RuntimeException failureToException(Failure failure) {
    return delegate.failureToException(failure);
  }

  @Override
  public Failure exceptionToFailure(Throwable throwable) {
    return delegate.exceptionToFailure(throwable);
  }

  @Override
  public DataConverter withContext(SerializationContext context) {
    return new StrictDataConverter(delegate.withContext(context));
  }

  private static RuntimeException unreadable(DataConverterException e, Class<?> valueClass) {
    InvalidInputException invalid = invalid(e, valueClass.getSimpleName());
    // Thrown as a Temporal failure it fails a workflow; in an update handler it would fail the
    // workflow task instead.
    return WORKFLOW_INPUTS.contains(valueClass)
        ? FailureKind.INVALID_INPUT.failure(invalid.getMessage())
        : invalid;
  }

  private static InvalidInputException invalid(DataConverterException e, String what) {
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof JsonMappingException mapping) {
        return new InvalidInputException(
            field(mapping, what),
            "cannot be read as " + what + ": " + firstLine(mapping.getOriginalMessage()));
      }
    }
    return new InvalidInputException(what, "cannot be read: " + firstLine(e.getMessage()));
  }

  /**
   * The JSON path of the problem, e.g. {@code launch.args[0]}; the type's name when the whole value
   * is wrong.
   */
  static String field(JsonMappingException mapping, String whole) {
    if (mapping.getPath().isEmpty()) {
      return whole;
    }
    return mapping.getPath().stream()
        .map(
            ref ->
                ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining())
        .replaceFirst("^\\.", "");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
