/**
 * Delimiter sniffing (pure). Each candidate splits the first lines of the file with a quote-aware
 * scanner; the winner is the one that gives the most records with the same number (>= 2) of
 * fields, without quote irregularities (a quote inside an unquoted field, text after a closing
 * quote) that show it cut through quoted fields. Ties go to more columns, then to the order below.
 */

/** Delimiters Plaza recognises, in tie-break order. */
export const candidateDelimiters = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof candidateDelimiters)[number];

/** Human names for messages and the result page. */
export const delimiterNames: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

interface Scan {
  counts: number[];
  irregular: boolean[];
}

/** Splits text into records with a delimiter; the last record is dropped when the text may be cut. */
function scan(text: string, delimiter: string, maxRecords: number, complete: boolean): Scan {
  const counts: number[] = [];
  const irregular: boolean[] = [];
  let fields = 1;
  let bad = false;
  let inQuotes = false;
  let fieldStart = true;
  let afterClosingQuote = false;
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    counts.push(fields);
    irregular.push(bad);
    fields = 1;
    bad = false;
    fieldStart = true;
    afterClosingQuote = false;
  };
  while (i < n && counts.length < maxRecords) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') i++;
        else {
          inQuotes = false;
          afterClosingQuote = true;
        }
      }
      i++;
      continue;
    }
    if (ch === delimiter) {
      fields++;
      fieldStart = true;
      afterClosingQuote = false;
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else if (ch === '"') {
      if (fieldStart) inQuotes = true;
      else bad = true;
      fieldStart = false;
    } else {
      if (afterClosingQuote) bad = true;
      fieldStart = false;
    }
    i++;
  }
  if (complete && !inQuotes && counts.length < maxRecords && i >= n && !(fields === 1 && fieldStart)) endRecord();
  return { counts, irregular };
}

/**
 * Picks the delimiter of a CSV sample. `complete` says the sample is the whole file (so its last
 * line is a whole record). Falls back to comma when no candidate splits the lines.
 */
export function sniffDelimiter(sample: string, options: { complete?: boolean; maxRecords?: number } = {}): Delimiter {
  const maxRecords = options.maxRecords ?? 200;
  let best: { d: Delimiter; score: number; columns: number } | undefined;
  for (const d of candidateDelimiters) {
    const { counts, irregular } = scan(sample, d, maxRecords, options.complete ?? false);
    const usable = counts.length ? counts : [];
    const freq = new Map<number, number>();
    usable.forEach((c, i) => {
      if (!irregular[i]) freq.set(c, (freq.get(c) ?? 0) + 1);
    });
    let mode = 1;
    let modeCount = 0;
    for (const [c, k] of freq) if (k > modeCount || (k === modeCount && c > mode)) [mode, modeCount] = [c, k];
    if (mode < 2 || usable.length === 0) continue;
    const score = modeCount / usable.length;
    if (!best || score > best.score || (score === best.score && mode > best.columns)) best = { d, score, columns: mode };
  }
  return best?.d ?? ',';
}
