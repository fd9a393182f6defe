package dev.ext4sim.gateway;

import dev.ext4sim.bus.Errno;
import java.io.IOException;
import java.io.Writer;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * The host's error page, for what Tomcat refuses before any servlet runs (an encoded NUL or slash in the path, bytes
 * that are not UTF-8), as application/problem+json with EINVAL like every other error of the gateway, instead of
 * Tomcat's HTML page.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {
    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        Errno errno = status >= 500 ? Errno.EIO : Errno.EINVAL;
        String detail = (response.getMessage() == null || response.getMessage().isBlank()
                ? "the request was refused" : response.getMessage()) + " (HTTP " + status + "); percent-encode a"
                + " path's bytes as UTF-8, with no NUL and no encoded slash";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer out = response.getReporter();
            if (out != null) {
                out.write("{\"type\":\"about:blank\",\"title\":\"" + json(errno.strerror()) + "\",\"status\":" + status
                        + ",\"detail\":\"" + json(detail) + "\",\"errno\":\"" + errno.name() + "\",\"code\":"
                        + errno.code() + "}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone: nobody to tell
        }
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** In place of the host's error report valves, Boot's among them (this customizer runs after Boot's). */
    @Component
    static class Installer implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>, Ordered {
        @Override
        public void customize(ConfigurableTomcatWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    for (Valve v : host.getPipeline().getValves()) {
                        if (v instanceof ErrorReportValve) {
                            host.getPipeline().removeValve(v);
                        }
                    }
                    host.getPipeline().addValve(new ProblemErrorReportValve());
                    // the host adds a valve of this class at its start unless one is there: this one is
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
