/**
 * What a submitted ONNX model says of itself, read without running it: its opsets, the operator
 * domains of every node (subgraphs and model-local functions included), every tensor that keeps its
 * data outside the file, and the graph's declared inputs and outputs. A bounded walk over the
 * protobuf wire format of onnx.proto (ModelProto) that reads only those fields and skips the rest;
 * the file is untrusted, so every length is checked against what is left and nesting is limited.
 * (A protobuf library would decode every field, weights included, into objects first.)
 */

export class OnnxParseError extends Error {}

/** Field numbers of onnx.proto (ONNX IR version 10), only those read here. */
const F = {
  model: { irVersion: 1, graph: 7, opsetImport: 8, functions: 25 },
  opset: { domain: 1, version: 2 },
  graph: { node: 1, initializer: 5, input: 11, output: 12, sparseInitializer: 15 },
  node: { opType: 4, attribute: 5, domain: 7 },
  attribute: { t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 },
  tensor: { name: 8, externalData: 13, dataLocation: 14 },
  sparse: { values: 1, indices: 2 },
  entry: { key: 1, value: 2 },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
  function: { node: 7, domain: 10 },
} as const;

/** Subgraphs nest (Loop in If in Scan…); past this depth the model is refused. */
const MAX_DEPTH = 64;

export interface TensorInfo { name: string; elemType: number; dims: (number | string | null)[] | null }
export interface ExternalRef { tensor: string; location: string | null }
export interface OnnxSummary {
  irVersion: number;
  /** domain ("" = ai.onnx) → version, as imported by the model. */
  opsets: Map<string, number>;
  /** Every operator domain used by a node, anywhere ("" = ai.onnx). */
  nodeDomains: Set<string>;
  /** op types by domain, for messages ("com.example" → {"MyOp"}). */
  opTypes: Map<string, Set<string>>;
  external: ExternalRef[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Graph initializers' names (an input with one is a constant, not a real input). */
  initializerNames: Set<string>;
  nodes: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, readonly start: number, readonly end: number) { this.pos = start; }
  done(): boolean { return this.pos >= this.end; }
  varint(): number {
    let result = 0, shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxParseError('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 53) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new OnnxParseError('varint longer than 10 bytes');
  }
  /** The next field: its number, wire type, and for length-delimited fields a reader over it. */
  field(): { no: number; wire: number; value: number; sub: Reader | null } {
    const tag = this.varint(), no = Math.floor(tag / 8), wire = tag % 8;
    if (no === 0) throw new OnnxParseError('field number 0');
    switch (wire) {
      case 0: return { no, wire, value: this.varint(), sub: null };
      case 1: this.skip(8); return { no, wire, value: 0, sub: null };
      case 5: this.skip(4); return { no, wire, value: 0, sub: null };
      case 2: {
        const len = this.varint();
        if (len > this.end - this.pos) throw new OnnxParseError(`a field of ${len} bytes where ${this.end - this.pos} are left`);
        const sub = new Reader(this.buf, this.pos, this.pos + len);
        this.pos += len;
        return { no, wire, value: len, sub };
      }
      default: throw new OnnxParseError(`wire type ${wire} (not protobuf 3)`);
    }
  }
  skip(n: number): void {
    if (n > this.end - this.pos) throw new OnnxParseError('truncated fixed-width field');
    this.pos += n;
  }
  text(): string {
    try { return UTF8.decode(this.buf.subarray(this.start, this.end)); } catch { throw new OnnxParseError('a name that is not UTF-8'); }
  }
}

/** Reads the summary of a serialized ModelProto; OnnxParseError when it is not one. */
export function readOnnx(buf: Uint8Array): OnnxSummary {
  const s: OnnxSummary = { irVersion: 0, opsets: new Map(), nodeDomains: new Set(), opTypes: new Map(), external: [], inputs: [], outputs: [], initializerNames: new Set(), nodes: 0 };
  const r = new Reader(buf, 0, buf.length);
  let graphs = 0;
  while (!r.done()) {
    const f = r.field();
    if (f.no === F.model.irVersion && f.wire === 0) s.irVersion = f.value;
    else if (f.no === F.model.opsetImport && f.sub) readOpset(f.sub, s.opsets);
    else if (f.no === F.model.graph && f.sub) { graphs++; readGraph(f.sub, s, 0, true); }
    else if (f.no === F.model.functions && f.sub) readFunction(f.sub, s);
  }
  if (graphs !== 1) throw new OnnxParseError(graphs === 0 ? 'no graph (not an ONNX model)' : `${graphs} graphs`);
  if (s.irVersion === 0) throw new OnnxParseError('no IR version (not an ONNX model)');
  return s;
}

function readOpset(r: Reader, into: Map<string, number>): void {
  let domain = '', version = 0;
  while (!r.done()) {
    const f = r.field();
    if (f.no === F.opset.domain && f.sub) domain = f.sub.text();
    else if (f.no === F.opset.version && f.wire === 0) version = f.value;
  }
  into.set(domain, version);
}

function readGraph(r: Reader, s: OnnxSummary, depth: number, main: boolean): void {
  if (depth > MAX_DEPTH) throw new OnnxParseError(`subgraphs nested deeper than ${MAX_DEPTH}`);
  while (!r.done()) {
    const f = r.field();
    if (!f.sub) continue;
    if (f.no === F.graph.node) readNode(f.sub, s, depth);
    else if (f.no === F.graph.initializer) { const name = readTensor(f.sub, s); if (main) s.initializerNames.add(name); }
    else if (f.no === F.graph.sparseInitializer) readSparse(f.sub, s);
    else if (main && f.no === F.graph.input) s.inputs.push(readValueInfo(f.sub));
    else if (main && f.no === F.graph.output) s.outputs.push(readValueInfo(f.sub));
  }
}

function readNode(r: Reader, s: OnnxSummary, depth: number): void {
  let domain = '', op = '';
  s.nodes++;
  while (!r.done()) {
    const f = r.field();
    if (!f.sub) continue;
    if (f.no === F.node.domain) domain = f.sub.text();
    else if (f.no === F.node.opType) op = f.sub.text();
    else if (f.no === F.node.attribute) readAttribute(f.sub, s, depth);
  }
  s.nodeDomains.add(domain);
  if (!s.opTypes.has(domain)) s.opTypes.set(domain, new Set());
  s.opTypes.get(domain)!.add(op);
}

function readAttribute(r: Reader, s: OnnxSummary, depth: number): void {
  while (!r.done()) {
    const f = r.field();
    if (!f.sub) continue;
    if (f.no === F.attribute.t || f.no === F.attribute.tensors) readTensor(f.sub, s);
    else if (f.no === F.attribute.g || f.no === F.attribute.graphs) readGraph(f.sub, s, depth + 1, false);
    else if (f.no === F.attribute.sparseTensor || f.no === F.attribute.sparseTensors) readSparse(f.sub, s);
  }
}

/** A tensor: where its data lives. Returns its name. */
function readTensor(r: Reader, s: OnnxSummary): string {
  let name = '', external = false, location: string | null = null;
  while (!r.done()) {
    const f = r.field();
    if (f.no === F.tensor.name && f.sub) name = f.sub.text();
    else if (f.no === F.tensor.dataLocation && f.wire === 0) external ||= f.value === 1;
    else if (f.no === F.tensor.externalData && f.sub) {
      external = true;
      let key = '', value = '';
      while (!f.sub.done()) {
        const e = f.sub.field();
        if (e.no === F.entry.key && e.sub) key = e.sub.text();
        else if (e.no === F.entry.value && e.sub) value = e.sub.text();
      }
      if (key === 'location') location = value;
    }
  }
  if (external) s.external.push({ tensor: name, location });
  return name;
}

function readSparse(r: Reader, s: OnnxSummary): void {
  while (!r.done()) {
    const f = r.field();
    if (f.sub && (f.no === F.sparse.values || f.no === F.sparse.indices)) readTensor(f.sub, s);
  }
}

function readFunction(r: Reader, s: OnnxSummary): void {
  while (!r.done()) {
    const f = r.field();
    if (!f.sub) continue;
    if (f.no === F.function.node) readNode(f.sub, s, 1);
    else if (f.no === F.function.domain) s.nodeDomains.add(f.sub.text());
  }
}

function readValueInfo(r: Reader): TensorInfo {
  const out: TensorInfo = { name: '', elemType: 0, dims: null };
  while (!r.done()) {
    const f = r.field();
    if (!f.sub) continue;
    if (f.no === F.valueInfo.name) out.name = f.sub.text();
    else if (f.no === F.valueInfo.type) {
      while (!f.sub.done()) {
        const t = f.sub.field();
        if (t.no !== F.type.tensorType || !t.sub) continue;
        while (!t.sub.done()) {
          const tt = t.sub.field();
          if (tt.no === F.tensorType.elemType && tt.wire === 0) out.elemType = tt.value;
          else if (tt.no === F.tensorType.shape && tt.sub) {
            out.dims = [];
            while (!tt.sub.done()) {
              const d = tt.sub.field();
              if (d.no !== F.shape.dim || !d.sub) continue;
              let dim: number | string | null = null;
              while (!d.sub.done()) {
                const x = d.sub.field();
                if (x.no === F.dim.value && x.wire === 0) dim = x.value;
                else if (x.no === F.dim.param && x.sub) dim = x.sub.text();
              }
              out.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return out;
}

/** ONNX TensorProto.DataType numbers used in messages. */
export const ELEM_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 10: 'float16', 11: 'float64', 16: 'bfloat16' };
