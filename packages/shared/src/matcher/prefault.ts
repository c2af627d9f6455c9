/**
 * Writes one element per memory page of a freshly allocated typed array, a few hundred pages
 * per step. The first write to a page faults it in, and on the virtual machines measured that
 * cost ~30 µs a page (130 ms for 16 MiB): a compaction that yields between steps pays it
 * here, in bounded steps, instead of at random inside its inserts.
 */
const PAGE_BYTES = 4096;
const PAGES_PER_STEP = 128;

export function* touchPages(array: Uint8Array | Int32Array | Float64Array): Generator<void, void> {
  const stride = PAGE_BYTES / array.BYTES_PER_ELEMENT;
  let pages = 0;
  // Zero is what a fresh array holds: the write changes nothing but maps the page.
  for (let i = 0; i < array.length; i += stride) {
    array[i] = 0;
    if (++pages % PAGES_PER_STEP === 0) yield;
  }
}
