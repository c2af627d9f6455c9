import { decodeCp1251 } from './cp1251.js';

export type DumpEncoding = 'utf-8' | 'windows-1251';

/**
 * Dumps carry no charset label. Windows-1251 Cyrillic is practically never valid UTF-8, so
 * "decodes as UTF-8 without error" is a reliable test; pure ASCII reads the same either way.
 */
export function decodeDumpText(bytes: Uint8Array): { text: string; encoding: DumpEncoding } {
  try {
    // The decoder drops a leading byte-order mark, which some Windows tools write.
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: decodeCp1251(bytes), encoding: 'windows-1251' };
  }
}
