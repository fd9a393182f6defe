package dev.ext4sim.bus.spring;

import dev.ext4sim.bus.Errno;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The admin and fault calls (crash points, blockdev's faults and power cut) need the stack's admin token,
 * {@code Authorization: Bearer TOKEN}; the user API does not. ./ext4sim up makes the token (EXT4SIM_HOME/admin.token)
 * and hands it to every service as {@code ext4sim.admin.token}; without one, the admin calls are refused.
 */
public final class AdminTokenFilter extends OncePerRequestFilter {
    static final List<String> ADMIN_PATHS = List.of("/v1/crash-points", "/v1/blockdev");

    private final byte[] expected;

    public AdminTokenFilter(String token) {
        this.expected = token == null || token.isBlank() ? null
                : ("Bearer " + token.strip()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI();
        return ADMIN_PATHS.stream().noneMatch(p -> path.equals(p) || path.startsWith(p + "/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String given = request.getHeader("Authorization");
        if (expected != null && given != null
                && MessageDigest.isEqual(expected, given.strip().getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(request, response);
            return;
        }
        String detail = expected == null
                ? "this service has no admin token, so its admin calls are off; start it with EXT4SIM_ADMIN_TOKEN set"
                + " (./ext4sim up does)"
                : "the admin calls need the stack's token: -H \"Authorization: Bearer $(cat .ext4sim/admin.token)\""
                + " (./ext4sim status prints it)";
        Errno errno = Errno.EACCES;
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader("WWW-Authenticate", "Bearer");
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + errno.strerror() + "\",\"status\":401,"
                + "\"detail\":\"" + detail.replace("\"", "\\\"") + "\",\"instance\":\"" + request.getRequestURI()
                .replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"errno\":\"" + errno.name() + "\",\"code\":"
                + errno.code() + "}");
    }
}
