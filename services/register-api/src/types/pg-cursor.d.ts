// pg-cursor ships no types; Kysely only needs the constructor to stream query results.
declare module 'pg-cursor' {
  import type { PostgresCursorConstructor } from 'kysely';
  const Cursor: PostgresCursorConstructor;
  export default Cursor;
}
