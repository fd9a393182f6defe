package dev.ext4sim.gateway;

import java.beans.PropertyEditorSupport;
import java.util.function.Function;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.InitBinder;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

/**
 * Input is taken as written, or refused with EINVAL: a JSON number or boolean is not a path, a flag name or a mode
 * (Jackson would turn 123 into "123", a relative path that creates a file); an fd, offset or length in the URL is
 * decimal (Spring's number editor would read "0x3" as fd 3).
 */
@ControllerAdvice
class StrictInput {
    @Bean
    static JsonMapperBuilderCustomizer stringsAreStrings() {
        return builder -> builder.withCoercionConfig(LogicalType.Textual, c -> c
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
    }

    @InitBinder
    void decimalNumbers(WebDataBinder binder) {
        binder.registerCustomEditor(int.class, decimal(Integer::valueOf));
        binder.registerCustomEditor(Integer.class, decimal(Integer::valueOf));
        binder.registerCustomEditor(long.class, decimal(Long::valueOf));
        binder.registerCustomEditor(Long.class, decimal(Long::valueOf));
    }

    private static PropertyEditorSupport decimal(Function<String, Number> parse) {
        return new PropertyEditorSupport() {
            @Override
            public void setAsText(String text) {
                String t = text == null ? "" : text.strip();
                if (!t.matches("-?[0-9]{1,19}")) {
                    throw new IllegalArgumentException("'" + text + "' is not a decimal number");
                }
                setValue(parse.apply(t)); // NumberFormatException (an IllegalArgumentException) when out of range
            }
        };
    }
}
