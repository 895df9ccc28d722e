/**
 * A minimal RDF graph with Turtle and JSON-LD writers, enough for the DCAT-AP feeds without a
 * runtime RDF library. Terms are IRIs, blank nodes or literals; the writers group triples by
 * subject in insertion order, so output is deterministic.
 */

/** An RDF term. */
export type Term = { iri: string } | { bnode: string } | { value: string; datatype?: string; lang?: string };
type Subject = { iri: string } | { bnode: string };

/** Prefixes used by the feeds. */
export const prefixes: Record<string, string> = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  dcatap: 'http://data.europa.eu/r5r/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  spdx: 'http://spdx.org/rdf/terms#',
  prov: 'http://www.w3.org/ns/prov#',
  adms: 'http://www.w3.org/ns/adms#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
};

/** Expands `dct:title` to a full IRI (full IRIs pass through). */
export function expand(name: string): string {
  const m = /^([a-z]+):(.*)$/.exec(name);
  if (m && prefixes[m[1]] && !name.startsWith('http')) return prefixes[m[1]] + m[2];
  return name;
}

/** An IRI term. */
export const iri = (value: string): Term => ({ iri: expand(value) });
/** A plain or language-tagged literal. */
export const text = (value: string, lang?: string): Term => ({ value, lang });
/** A typed literal (`xsd:date`, …). */
export const typed = (value: string, datatype: string): Term => ({ value, datatype: expand(datatype) });

/** An RDF graph that remembers insertion order. */
export class Graph {
  private readonly subjects = new Map<string, { subject: Subject; props: Map<string, Term[]> }>();
  private blank = 0;

  /** A fresh blank node. */
  bnode(): Subject {
    return { bnode: `b${++this.blank}` };
  }

  /** Adds a triple (duplicates are ignored). */
  add(s: Subject | Term, p: string, o: Term | undefined | null): this {
    if (!o) return this;
    const subject = s as Subject;
    const key = 'iri' in subject ? `<${subject.iri}>` : `_:${subject.bnode}`;
    let entry = this.subjects.get(key);
    if (!entry) {
      entry = { subject, props: new Map() };
      this.subjects.set(key, entry);
    }
    const pred = p === 'a' ? prefixes.rdf + 'type' : expand(p);
    const list = entry.props.get(pred) ?? [];
    if (!list.some((t) => sameTerm(t, o))) list.push(o);
    entry.props.set(pred, list);
    return this;
  }

  /** Subjects with their properties, in insertion order. */
  entries(): Array<{ subject: Subject; props: Map<string, Term[]> }> {
    return [...this.subjects.values()];
  }
}

function sameTerm(a: Term, b: Term): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const localName = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function compact(full: string): string | undefined {
  for (const [p, ns] of Object.entries(prefixes)) {
    if (full.startsWith(ns) && localName.test(full.slice(ns.length))) return `${p}:${full.slice(ns.length)}`;
  }
  return undefined;
}

function escapeIri(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function escapeString(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\\"\n\r\t\u0000-\u001f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
    }
  });
}

function turtleTerm(t: Term): string {
  if ('iri' in t) return compact(t.iri) ?? `<${escapeIri(t.iri)}>`;
  if ('bnode' in t) return `_:${t.bnode}`;
  const lit = `"${escapeString(t.value)}"`;
  if (t.lang) return `${lit}@${t.lang}`;
  if (t.datatype) return `${lit}^^${compact(t.datatype) ?? `<${escapeIri(t.datatype)}>`}`;
  return lit;
}

/** Serialises a graph as Turtle. */
export function toTurtle(graph: Graph): string {
  let out = Object.entries(prefixes)
    .map(([p, ns]) => `@prefix ${p}: <${ns}> .`)
    .join('\n');
  out += '\n';
  const rdfType = prefixes.rdf + 'type';
  for (const { subject, props } of graph.entries()) {
    out += '\n' + turtleTerm(subject as Term);
    const lines: string[] = [];
    for (const [p, objects] of props) {
      const pred = p === rdfType ? 'a' : (compact(p) ?? `<${escapeIri(p)}>`);
      lines.push(`    ${pred} ${objects.map(turtleTerm).join(', ')}`);
    }
    out += '\n' + lines.join(' ;\n') + ' .\n';
  }
  return out;
}

function jsonLdTerm(t: Term): Record<string, string> {
  if ('iri' in t) return { '@id': t.iri };
  if ('bnode' in t) return { '@id': `_:${t.bnode}` };
  if (t.lang) return { '@value': t.value, '@language': t.lang };
  if (t.datatype) return { '@value': t.value, '@type': compact(t.datatype) ?? t.datatype };
  return { '@value': t.value };
}

/** Serialises a graph as JSON-LD (a `@graph` of node objects with the feed prefixes as context). */
export function toJsonLd(graph: Graph, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const rdfType = prefixes.rdf + 'type';
  const nodes = graph.entries().map(({ subject, props }) => {
    const node: Record<string, unknown> = { '@id': 'iri' in subject ? subject.iri : `_:${subject.bnode}` };
    for (const [p, objects] of props) {
      if (p === rdfType) node['@type'] = objects.map((o) => ('iri' in o ? (compact(o.iri) ?? o.iri) : ''));
      else node[compact(p) ?? p] = objects.map(jsonLdTerm);
    }
    return node;
  });
  return { '@context': { ...prefixes }, ...extra, '@graph': nodes };
}
