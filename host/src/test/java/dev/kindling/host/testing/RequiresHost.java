package dev.kindling.host.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test only where the host has what it needs; otherwise JUnit reports it skipped with the
 * missing capability named. Never a silent pass.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(HostCapabilityCondition.class)
public @interface RequiresHost {
  HostCapability[] value();
}
