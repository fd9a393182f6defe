package dev.ext4sim.bus.trace.diff;

import java.util.ArrayList;
import java.util.List;

/**
 * A longest common subsequence of two sequences and its alignment, in linear memory (Hirschberg): the matched index
 * pairs in order. Quadratic time, so a trace of tens of thousands of events per task still compares in seconds.
 */
final class Lcs {
    /** Below this many cells the table is filled whole and walked back. */
    private static final long DIRECT_CELLS = 1 << 20;

    private Lcs() {
    }

    /** The pairs (i, j) with a[i] == b[j] of one longest common subsequence, in increasing order. */
    static List<int[]> align(int[] a, int[] b) {
        List<int[]> out = new ArrayList<>();
        align(a, 0, a.length, b, 0, b.length, out);
        return out;
    }

    private static void align(int[] a, int aLo, int aHi, int[] b, int bLo, int bHi, List<int[]> out) {
        int n = aHi - aLo;
        int m = bHi - bLo;
        if (n == 0 || m == 0) {
            return;
        }
        if ((long) n * m <= DIRECT_CELLS || n == 1) {
            direct(a, aLo, aHi, b, bLo, bHi, out);
            return;
        }
        int mid = aLo + n / 2;
        int[] front = forward(a, aLo, mid, b, bLo, bHi);
        int[] back = backward(a, mid, aHi, b, bLo, bHi);
        int best = -1;
        int split = 0;
        for (int j = 0; j <= m; j++) {
            int v = front[j] + back[j];
            if (v > best) {
                best = v;
                split = j;
            }
        }
        align(a, aLo, mid, b, bLo, bLo + split, out);
        align(a, mid, aHi, b, bLo + split, bHi, out);
    }

    /** L[j] = LCS length of a[aLo, aHi) and b[bLo, bLo + j). */
    private static int[] forward(int[] a, int aLo, int aHi, int[] b, int bLo, int bHi) {
        int m = bHi - bLo;
        int[] prev = new int[m + 1];
        int[] cur = new int[m + 1];
        for (int i = aLo; i < aHi; i++) {
            for (int j = 1; j <= m; j++) {
                cur[j] = a[i] == b[bLo + j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev;
    }

    /** L[j] = LCS length of a[aLo, aHi) and b[bLo + j, bHi). */
    private static int[] backward(int[] a, int aLo, int aHi, int[] b, int bLo, int bHi) {
        int m = bHi - bLo;
        int[] prev = new int[m + 1];
        int[] cur = new int[m + 1];
        for (int i = aHi - 1; i >= aLo; i--) {
            cur[m] = 0;
            for (int j = m - 1; j >= 0; j--) {
                cur[j] = a[i] == b[bLo + j] ? prev[j + 1] + 1 : Math.max(prev[j], cur[j + 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev;
    }

    private static void direct(int[] a, int aLo, int aHi, int[] b, int bLo, int bHi, List<int[]> out) {
        int n = aHi - aLo;
        int m = bHi - bLo;
        int[][] t = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                t[i][j] = a[aLo + i] == b[bLo + j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
            }
        }
        int i = 0;
        int j = 0;
        while (i < n && j < m) {
            if (a[aLo + i] == b[bLo + j]) {
                out.add(new int[]{aLo + i, bLo + j});
                i++;
                j++;
            } else if (t[i + 1][j] >= t[i][j + 1]) {
                i++;
            } else {
                j++;
            }
        }
    }
}
