// Lexical similarity for memory retrieval: TF-IDF weighted cosine over word tokens, small and dependency-free.

const STOP = new Set(
  'a an the and or of to in into on onto at for with from by it its is be this that then please now up'.split(' '),
);

export function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0 && !STOP.has(w));
}

function counts(ws: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of ws) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/**
 * Scores each document against the query: cosine of TF-IDF vectors, IDF from the documents themselves
 * (smoothed, so a word in every document still counts a little). Returns scores in [0, 1], in document order.
 */
export function tfidfScores(query: string, documents: readonly string[]): number[] {
  const docs = documents.map((d) => counts(tokens(d)));
  const df = new Map<string, number>();
  for (const d of docs) for (const w of d.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log((docs.length + 1) / ((df.get(w) ?? 0) + 1)) + 1;
  const vec = (c: Map<string, number>) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, n] of c) {
      const x = (1 + Math.log(n)) * idf(w);
      v.set(w, x);
      norm += x * x;
    }
    return { v, norm: Math.sqrt(norm) };
  };
  const q = vec(counts(tokens(query)));
  return docs.map((d) => {
    const x = vec(d);
    if (q.norm === 0 || x.norm === 0) return 0;
    let dot = 0;
    for (const [w, a] of q.v) dot += a * (x.v.get(w) ?? 0);
    return dot / (q.norm * x.norm);
  });
}
