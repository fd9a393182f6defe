package dev.ext4sim.launcher;

import java.util.Locale;

/** Sizes as mke2fs takes them: a number of bytes with an optional K, M, G or T suffix (powers of 1024). */
final class SizeArgument {
    private SizeArgument() {
    }

    static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2); // 1GiB
        } else if (s.endsWith("B") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1); // 1GB, 512MB
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = -1;
            }
        }
        String digits = shift < 0 ? s : s.substring(0, s.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a number with an optional K, M, G or T suffix (for example 1G)");
        }
        if (n <= 0 || Long.numberOfLeadingZeros(n) <= Math.max(shift, 0)) {
            throw new IllegalArgumentException("size '" + text + "' is out of range");
        }
        return n << Math.max(shift, 0);
    }
}
