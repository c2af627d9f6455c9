import pg from 'pg';

/**
 * Readers for the two column types whose pg defaults do not suit us. Set once per process,
 * for both the server and the embedded path (PGlite's adapter goes through the same pg client).
 */
export function configurePgTypes(): void {
  // A legal document's date has no time zone; turning it into a Date at local midnight would
  // shift it by a day in half the world.
  pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);
  // Sequence numbers and counts: numbers are what the API speaks, and they stay below 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number(v));
}
