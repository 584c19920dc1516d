// GC traffic for the timeline tests: run with -Xlog:gc (any collector,
// any decorations). Allocates short-lived garbage and keeps a slowly
// growing live set for the given seconds, prints lines of its own to
// stdout (the same stream as -Xlog:gc's default output), and asks for one
// full collection.
import java.util.ArrayList;

public class GcChurn {
    static volatile byte[] sink;

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ArrayList<byte[]> keep = new ArrayList<>();
        int i = 0;
        while (System.nanoTime() < end) {
            for (int k = 0; k < 2000; k++)
                sink = new byte[1024 + k % 4096];
            if (i % 10 == 0)
                keep.add(new byte[64 << 10]);
            if (i % 50 == 0)
                System.out.println("GcChurn: round " + i + ", " + keep.size() + " blocks kept");
            if (i == 100)
                System.gc();
            i++;
            Thread.sleep(1);
        }
        System.out.println("GcChurn: done " + keep.size());
    }
}
