/**
 * V8 flags the gateway's processes start with. A flag of the young generation's size only takes
 * effect on the command line (v8.setFlagsFromString comes after the heap is made), so the
 * launchers pass these: scripts/start-all.ts (`npm start`), this package's `start` script
 * (docker-compose), the cluster primary for its DNS workers, and the soak bench.
 *
 * --min-semi-space-size=16: V8 starts the young generation at 1 MiB per semi-space and grows it
 * to its default maximum, 16 MiB, as a busy resolver allocates (every query makes short-lived
 * objects), shrinking it again in quiet spells. In the 30-minute soak that alone was the
 * gateway's RSS climbing ~27 MiB over the first ten minutes (new space 2 → 32 MiB in the
 * heap-space metrics), then flat: not a leak, but a footprint that an operator cannot read
 * drift from, and more scavenges while it grows. Starting at the maximum makes the footprint
 * the working size from the first query; the maximum itself is V8's default, unchanged.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16'];
